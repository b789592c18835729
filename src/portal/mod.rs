//! The Data Discovery Portal: the pages people read in a browser.
//!
//! The search page and the catalogues (`search_page`), an asset's page with its tabs
//! (`asset_page`), the feeds and exports of any search (`feeds`, `export`), with their view
//! models here and their markup in `templates/portal/` — compiled `askama` templates that
//! escape every value they are given, so that no page builds HTML by hand. The stylesheet and
//! the script (`statics`) are compiled in. Pages work without the script; it only enhances
//! (suggestions while typing, results refreshed in place).
//!
//! Every page answers for a caller through the same search and the same visibility decision as
//! the API: a page shows exactly what its reader may see, counts included.

pub mod account;
pub mod asset_page;
pub mod editor;
pub mod export;
pub mod feeds;
pub mod graph;
pub mod history;
pub mod markdown;
pub mod review;
pub mod search_page;
pub mod state;
pub mod statics;

use std::sync::Arc;

use askama::Template;

use crate::access::Caller;
use crate::catalog::Catalog;
use crate::model::fields::Role;
use crate::search::SearchError;
use crate::store::StoreError;

/// What a page could not do.
#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    #[error("rendering a page: {0}")]
    Render(#[from] askama::Error),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// What the reader asked for cannot be answered as asked (the message says why).
    #[error("{0}")]
    BadRequest(String),
    /// Something below the page failed (a database, a task).
    #[error("{0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, PortalError>;

/// Where the portal is served and who publishes it.
#[derive(Debug, Clone)]
pub struct Site {
    /// Public base URL, without a trailing slash.
    pub base_url: String,
    /// The platform whose launch wizard opens datalabs.
    pub launch_base: String,
    /// The catalogue's name on its pages.
    pub name: String,
    /// Who publishes the catalogue.
    pub publisher: String,
    /// The naming authority of the catalogue's IVOA identifiers.
    pub authority: String,
}

impl Site {
    /// The IVOA identifier of one of the catalogue's own assets.
    pub fn ivoid(&self, id: &str) -> String {
        format!("ivo://{}/{id}", self.authority)
    }
}

/// The portal: the catalogue it shows and where.
pub struct Portal {
    pub catalog: Arc<Catalog>,
    pub site: Site,
}

/// A rendered page and the status it is answered with.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub html: String,
}

/// Who reads a page: the caller, and for a person signed in through the browser, the CSRF
/// token their session's forms carry.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub caller: Caller,
    pub csrf: Option<String>,
}

impl Viewer {
    pub fn anonymous() -> Viewer {
        Viewer {
            caller: Caller::Anonymous,
            csrf: None,
        }
    }

    /// The account's name, when the reader holds one.
    pub fn user(&self) -> Option<&str> {
        match &self.caller {
            Caller::Account { user, .. } => Some(user),
            _ => None,
        }
    }

    pub fn has(&self, role: Role) -> bool {
        matches!(&self.caller, Caller::Account { roles, .. } if roles.contains(&role))
    }

    /// What the header shows of the reader's account.
    pub fn nav(&self) -> Option<AccountNav> {
        Some(AccountNav {
            user: self.user()?.to_owned(),
            csrf: self.csrf.clone(),
            moderator: self.has(Role::Moderator),
        })
    }
}

/// The header's account links: my assets, the review queue for moderators, sign-out (for a
/// browser session; a bearer token's caller has nothing to sign out of).
#[derive(Debug, Clone)]
pub struct AccountNav {
    pub user: String,
    pub csrf: Option<String>,
    pub moderator: bool,
}

/// One link of the header's navigation.
#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every page's frame needs (`templates/portal/base.html`).
#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    pub description: String,
    pub canonical: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub atom: Option<String>,
    pub site_name: String,
    pub css: &'static str,
    pub js: &'static str,
    pub icon: &'static str,
    pub skip_to: &'static str,
    pub skip_label: &'static str,
    pub nav: Vec<NavLink>,
    /// The signed-in reader; `None` shows "Sign in".
    pub account: Option<AccountNav>,
}

impl Portal {
    pub fn new(catalog: Arc<Catalog>, site: Site) -> Portal {
        Portal { catalog, site }
    }

    /// The frame of a page at `current` (the path whose navigation link is marked).
    fn layout(&self, title: String, description: String, current: &str) -> Layout {
        layout(&self.site.name, title, description, current)
    }

    /// A page saying that something is not here (or not for this reader), with `status`.
    pub fn not_found(&self, status: u16, heading: &str, message: &str) -> Page {
        message_page(&self.site.name, status, heading, message)
    }

    /// `not_found` with the reader's account in the header.
    pub fn message(&self, viewer: &Viewer, status: u16, heading: &str, message: &str) -> Page {
        message_for(&self.site.name, viewer, status, heading, message)
    }
}

/// The frame of a page of the catalogue `site_name` at `current` (the path whose navigation
/// link is marked).
fn layout(site_name: &str, title: String, description: String, current: &str) -> Layout {
    let nav = [
        ("/", "Search"),
        ("/datalabs", "Datalabs"),
        ("/pipelines", "Pipelines"),
        ("/datasets", "Datasets"),
        ("/volumes", "Data volumes"),
    ]
    .into_iter()
    .map(|(href, label)| NavLink {
        href,
        label,
        current: href == current,
    })
    .collect();
    Layout {
        title,
        description,
        canonical: None,
        prev: None,
        next: None,
        atom: None,
        site_name: site_name.to_owned(),
        css: statics::css_path(),
        js: statics::js_path(),
        icon: statics::icon_path(),
        skip_to: "main",
        skip_label: "Skip to content",
        nav,
        account: None,
    }
}

/// A page of the catalogue `site_name` saying that something is not here (or not for this
/// reader), answered with `status`.
pub fn message_page(site_name: &str, status: u16, heading: &str, message: &str) -> Page {
    message_for(site_name, &Viewer::anonymous(), status, heading, message)
}

fn message_for(
    site_name: &str,
    viewer: &Viewer,
    status: u16,
    heading: &str,
    message: &str,
) -> Page {
    let mut frame = layout(
        site_name,
        format!("{heading} · {site_name}"),
        message.to_owned(),
        "",
    );
    frame.account = viewer.nav();
    let page = NotFound {
        layout: frame,
        heading,
        message,
    };
    Page {
        status,
        // The frame alone cannot fail to render; a bare line stands in if it ever did.
        html: page.render().unwrap_or_else(|_| heading.to_owned()),
    }
}

#[derive(Template)]
#[template(path = "portal/not_found.html")]
struct NotFound<'a> {
    layout: Layout,
    heading: &'a str,
    message: &'a str,
}
