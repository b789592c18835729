//! The `oai_dc` (Dublin Core) form of the registry's records and of the catalogue's assets.

use super::*;

pub(super) fn dc_open(w: &mut W, body: impl FnOnce(&mut W) -> R) -> R {
    w.create_element("oai_dc:dc")
        .with_attribute(("xmlns:oai_dc", NS_OAI_DC))
        .with_attribute(("xmlns:dc", NS_DC))
        .with_attribute(("xmlns:xsi", voresource::NS_XSI))
        .with_attribute((
            "xsi:schemaLocation",
            "http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
        ))
        .write_inner_content(body)?;
    Ok(())
}

pub(super) fn dc_registry(info: &RegistryInfo, registry: bool) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut w = Writer::new(&mut buf);
    dc_open(&mut w, |w| {
        if registry {
            text(w, "dc:title", "orrery publishing registry")?;
            text(w, "dc:identifier", &info.registry_ivoid())?;
            text(w, "dc:type", "Registry")?;
        } else {
            text(
                w,
                "dc:title",
                &format!("The {} naming authority", info.authority),
            )?;
            text(w, "dc:identifier", &info.authority_ivoid())?;
            text(w, "dc:type", "Organisation")?;
        }
        text(w, "dc:publisher", &info.publisher)
    })?;
    Ok(buf)
}

pub(super) fn dc_tap(
    info: &RegistryInfo,
    t: &crate::ivoa::voresource::capabilities::TapInfo,
) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut w = Writer::new(&mut buf);
    dc_open(&mut w, |w| {
        text(w, "dc:title", voresource::TAP_TITLE)?;
        text(w, "dc:identifier", &info.tap_ivoid())?;
        text(w, "dc:type", "Service")?;
        text(w, "dc:relation", &t.base)?;
        text(w, "dc:publisher", &info.publisher)
    })?;
    Ok(buf)
}

pub(super) fn dc_asset(info: &RegistryInfo, a: &crate::model::Asset) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut w = Writer::new(&mut buf);
    dc_open(&mut w, |w| {
        text(w, "dc:title", &a.name)?;
        for c in &a.creator {
            text(w, "dc:creator", &c.name)?;
        }
        for s in a.keywords.iter().chain(&a.mission) {
            text(w, "dc:subject", s)?;
        }
        if let Some(d) = a.abstract_.as_deref().or(a.description.as_deref()) {
            text(w, "dc:description", d)?;
        }
        text(
            w,
            "dc:publisher",
            a.publisher
                .as_ref()
                .map_or(info.publisher.as_str(), |p| p.name.as_str()),
        )?;
        if let Some(d) = &a.date_modified {
            text(w, "dc:date", &voresource::utc(d))?;
        }
        text(w, "dc:type", &a.kind)?;
        text(w, "dc:identifier", &info.ivoid(&a.id))?;
        text(
            w,
            "dc:identifier",
            &format!("{}/assets/{}", info.base_url, a.id),
        )?;
        if let Some(l) = &a.license {
            text(w, "dc:rights", l)?;
        }
        Ok(())
    })?;
    Ok(buf)
}
