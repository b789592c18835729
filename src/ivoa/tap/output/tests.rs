use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;

use super::*;

const VALIDATE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/corpus/xsd/validate-example.sh"
);

fn field(name: &str, datatype: Datatype) -> Field {
    Field::computed(name, datatype)
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// Strings (non-ASCII, an emoji, markup, an empty one), integers and reals with NULLs and
/// NaN, a timestamp, duplicate names, and values of another type than their column's.
fn sample(overflow: bool) -> ResultTable {
    let mut created = field("created", Datatype::Char);
    created.xtype = Some("timestamp".into());
    created.description = Some("When it was <made> & \"by whom\"".into());
    let mut f = field("f", Datatype::Float);
    f.unit = Some("deg".into());
    f.ucd = Some("pos.eq.ra;meta.main".into());
    f.utype = Some("stc:Position".into());
    let fields = vec![
        field("id", Datatype::Int),
        field("title", Datatype::UnicodeChar),
        field("code", Datatype::Char),
        field("val", Datatype::Double),
        created,
        field("id", Datatype::Int),
        field("small", Datatype::Short),
        field("big", Datatype::Long),
        f,
        field("ID", Datatype::Int),
    ];
    let rows = vec![
        vec![
            Value::Int(1),
            text("Ångström"),
            text("a, \"q\""),
            Value::Real(1.5),
            text("2024-01-01T00:00:00"),
            Value::Int(10),
            Value::Int(-3),
            Value::Int(1 << 40),
            Value::Real(0.25),
            Value::Int(7),
        ],
        vec![
            Value::Null,
            text("emoji 🙂 ok"),
            text("Ångström"),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        ],
        vec![
            Value::Real(2.6),
            text("x <&> y"),
            text("tab\tline\nend"),
            Value::Real(f64::NAN),
            text("2024-02-29T12:30:00.5"),
            Value::Int(-1),
            text("42"),
            Value::Int(-5),
            Value::Int(3),
            Value::Real(-0.4),
        ],
    ];
    ResultTable {
        fields,
        rows,
        overflow,
    }
}

fn render(table: &ResultTable, format: Format) -> Vec<u8> {
    let mut out = Vec::new();
    let infos = [
        ("QUERY", "SELECT * FROM rr.resource WHERE a < 'x&y'"),
        ("request_date", "2024"),
    ];
    write(&mut out, table, format, &infos);
    out
}

fn save(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn run(program: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (is it installed?): {e}"));
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

fn assert_valid(path: &Path) {
    let (ok, stdout, stderr) = run("sh", &[VALIDATE, path.to_str().unwrap()]);
    assert!(
        ok && stderr.contains("validates"),
        "{}: {stdout}{stderr}",
        path.display()
    );
}

/// votlint prints nothing for a clean file (and exits 0 even with errors); its INFO lines
/// are remarks, such as that a `char` FIELD without arraysize holds one character.
fn assert_votlint_clean(path: &Path) {
    let (ok, stdout, stderr) = run(
        "stilts",
        &["votlint", &format!("votable={}", path.display())],
    );
    let complaints: Vec<&str> = stdout
        .lines()
        .chain(stderr.lines())
        .filter(|l| !l.starts_with("INFO ("))
        .collect();
    assert!(
        ok && complaints.iter().all(|l| l.trim().is_empty()),
        "{stdout}{stderr}"
    );
}

/// A table read back by STILTS and written as CSV.
fn stilts_rows(path: &Path, ifmt: &str) -> Vec<Vec<Option<String>>> {
    let input = format!("in={}", path.display());
    let ifmt = format!("ifmt={ifmt}");
    let (ok, stdout, stderr) = run("stilts", &["tcopy", &input, &ifmt, "ofmt=csv", "out=-"]);
    assert!(ok, "{stderr}");
    parse_csv(&stdout)
}

/// RFC 4180 records; an unquoted empty field is `None`, a quoted one `Some("")`.
fn parse_csv(s: &str) -> Vec<Vec<Option<String>>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut chars = s.chars().peekable();
    while chars.peek().is_some() {
        let mut value = String::new();
        let mut quoted = false;
        if chars.peek() == Some(&'"') {
            quoted = true;
            chars.next();
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                    } else {
                        break;
                    }
                }
                value.push(c);
            }
        }
        loop {
            match chars.next() {
                None | Some('\n') => {
                    row.push((quoted || !value.is_empty()).then_some(value));
                    rows.push(std::mem::take(&mut row));
                    break;
                }
                Some('\r') if chars.peek() == Some(&'\n') => {}
                Some(',') => {
                    row.push((quoted || !value.is_empty()).then_some(value));
                    break;
                }
                Some(c) => {
                    assert!(!quoted, "text after a closing quote");
                    value.push(c);
                }
            }
        }
    }
    rows
}

fn votable_str(table: &ResultTable, format: Format) -> String {
    String::from_utf8(render(table, format)).unwrap()
}

fn some(cells: &[&str]) -> Vec<Option<String>> {
    cells.iter().map(|c| Some((*c).to_owned())).collect()
}

fn header() -> Vec<Option<String>> {
    some(&[
        "id", "title", "code", "val", "created", "id_2", "small", "big", "f", "ID_3",
    ])
}

/// The sample as a reader gets it back; `binary` for what BINARY2 `char` and `unicodeChar`
/// can carry.
fn expected_rows(binary: bool) -> Vec<Vec<Option<String>>> {
    let mut second = vec![None; 10];
    second[1] = Some(
        if binary {
            "emoji ? ok"
        } else {
            "emoji 🙂 ok"
        }
        .to_owned(),
    );
    second[2] = Some(if binary { "?ngstr?m" } else { "Ångström" }.to_owned());
    vec![
        header(),
        some(&[
            "1",
            "Ångström",
            "a, \"q\"",
            "1.5",
            "2024-01-01T00:00:00",
            "10",
            "-3",
            "1099511627776",
            "0.25",
            "7",
        ]),
        second,
        vec![
            Some("3".into()),
            Some("x <&> y".into()),
            Some("tab\tline\nend".into()),
            None,
            Some("2024-02-29T12:30:00.5".into()),
            Some("-1".into()),
            Some("42".into()),
            Some("-5".into()),
            Some("3.0".into()),
            Some("0".into()),
        ],
    ]
}

#[test]
fn tabledata_validates_lints_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    for overflow in [false, true] {
        let path = save(
            dir.path(),
            "td.xml",
            &render(&sample(overflow), Format::TableData),
        );
        assert_valid(&path);
        assert_votlint_clean(&path);
        assert_eq!(stilts_rows(&path, "votable"), expected_rows(false));
    }
}

#[test]
fn binary2_validates_lints_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    for overflow in [false, true] {
        let path = save(
            dir.path(),
            "b2.xml",
            &render(&sample(overflow), Format::Binary2),
        );
        assert_valid(&path);
        assert_votlint_clean(&path);
        assert_eq!(stilts_rows(&path, "votable"), expected_rows(true));
    }
}

/// Enough rows that the stream is encoded in several blocks.
#[test]
fn long_binary2_stream_reads_back() {
    let rows = 20_000;
    let table = ResultTable {
        fields: vec![
            field("i", Datatype::Long),
            field("s", Datatype::UnicodeChar),
        ],
        rows: (0..rows)
            .map(|i| {
                let s = if i % 3 == 0 {
                    Value::Null
                } else {
                    text(&format!("ü{i}"))
                };
                vec![Value::Int(i), s]
            })
            .collect(),
        overflow: true,
    };
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), "long.xml", &render(&table, Format::Binary2));
    let read = stilts_rows(&path, "votable");
    assert_eq!(read.len(), rows as usize + 1);
    for (i, row) in read[1..].iter().enumerate() {
        let s = (i % 3 != 0).then(|| format!("ü{i}"));
        assert_eq!(row, &vec![Some(i.to_string()), s]);
    }
}

#[test]
fn votable_shape_status_infos_and_nulls() {
    for format in [Format::TableData, Format::Binary2] {
        let doc = votable_str(&sample(true), format);
        assert_eq!(doc.matches("<RESOURCE").count(), 1);
        assert!(doc.contains("<RESOURCE type=\"results\">\n<INFO name=\"QUERY_STATUS\" value=\"OK\"/>\n<INFO name=\"QUERY\" value=\"SELECT * FROM rr.resource WHERE a &lt; 'x&amp;y'\"/>\n<INFO name=\"request_date\" value=\"2024\"/>\n<TABLE>"));
        assert!(doc.ends_with(
            "</TABLE>\n<INFO name=\"QUERY_STATUS\" value=\"OVERFLOW\"/>\n</RESOURCE>\n</VOTABLE>\n"
        ));
        assert!(doc.contains(
            "<FIELD name=\"small\" datatype=\"short\"><VALUES null=\"-32768\"/></FIELD>"
        ));
        assert!(doc.contains("<FIELD name=\"created\" datatype=\"char\" arraysize=\"*\" xtype=\"timestamp\"><DESCRIPTION>"));
        let doc = votable_str(&sample(false), format);
        assert!(!doc.contains("OVERFLOW"));
        assert_eq!(doc.matches("QUERY_STATUS").count(), 1);
    }
    let td = votable_str(&sample(false), Format::TableData);
    assert!(td.contains("<TR><TD>-2147483648</TD><TD>emoji 🙂 ok</TD><TD>Ångström</TD><TD/><TD/><TD>-2147483648</TD><TD>-32768</TD><TD>-9223372036854775808</TD><TD/>"));
}

#[test]
fn empty_and_metadata_only_tables_are_valid() {
    let dir = tempfile::tempdir().unwrap();
    for overflow in [false, true] {
        let mut table = sample(overflow);
        table.rows.clear();
        for format in [Format::TableData, Format::Binary2] {
            let path = save(dir.path(), "empty.xml", &render(&table, format));
            assert_valid(&path);
            assert_votlint_clean(&path);
            assert_eq!(stilts_rows(&path, "votable"), vec![header()]);
            let doc = std::fs::read_to_string(&path).unwrap();
            assert_eq!(doc.contains("value=\"OVERFLOW\"/>\n</RESOURCE>"), overflow);
        }
    }
    let no_columns = ResultTable::default();
    let path = save(
        dir.path(),
        "none.xml",
        &render(&no_columns, Format::TableData),
    );
    assert_valid(&path);
    assert!(!std::fs::read_to_string(&path).unwrap().contains("<TABLE"));
}

#[test]
fn error_document_is_a_valid_votable_with_the_message() {
    let doc = error_document("unknown column \"x\" in <rr.resource> & \u{1} more");
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), "error.xml", &doc);
    assert_valid(&path);
    assert_votlint_clean(&path);
    let doc = String::from_utf8(doc).unwrap();
    assert!(doc.contains("<RESOURCE type=\"results\">\n<INFO name=\"QUERY_STATUS\" value=\"ERROR\">unknown column \"x\" in &lt;rr.resource&gt; &amp; ? more</INFO>\n</RESOURCE>"));
    assert!(!doc.contains("<TABLE"));
}

/// The BINARY2 stream of one row, decoded by hand: null mask, then each cell.
#[test]
fn binary2_row_layout() {
    let mut fixed = field("fixed", Datatype::Char);
    fixed.arraysize = Some("3".into());
    let mut single = field("one", Datatype::Char);
    single.arraysize = None;
    let table = ResultTable {
        fields: vec![
            field("s", Datatype::Char),
            field("u", Datatype::UnicodeChar),
            field("i", Datatype::Short),
            field("d", Datatype::Double),
            field("f", Datatype::Float),
            field("n", Datatype::Long),
            fixed,
            single,
            field("t", Datatype::Int),
        ],
        rows: vec![vec![
            text("Å1"),
            text("é🙂"),
            Value::Int(258),
            Value::Null,
            Value::Real(0.5),
            text("abc"),
            text("ab"),
            text("xyz"),
            Value::Real(1e12),
        ]],
        overflow: false,
    };
    let doc = votable_str(&table, Format::Binary2);
    assert!(doc.contains("<FIELD name=\"fixed\" datatype=\"char\" arraysize=\"3\"/>"));
    assert!(doc.contains("<FIELD name=\"one\" datatype=\"char\"/>"));
    let start = doc.find("base64\">").unwrap() + 8;
    let end = doc.find("</STREAM>").unwrap();
    let b64: String = doc[start..end].split_whitespace().collect();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let mut expected = vec![0b0001_0100, 0b1000_0000]; // d, n (unparsable text) and t NULL
    expected.extend([0, 0, 0, 2, b'?', b'1']);
    expected.extend([0, 0, 0, 2, 0x00, 0xe9, 0x00, b'?']);
    expected.extend(258i16.to_be_bytes());
    expected.extend(f64::NAN.to_be_bytes());
    expected.extend(0.5f32.to_be_bytes());
    expected.extend(i64::MIN.to_be_bytes());
    expected.extend([b'a', b'b', 0]);
    expected.extend([b'x']);
    expected.extend(i32::MIN.to_be_bytes());
    assert_eq!(raw, expected);
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), "layout.xml", doc.as_bytes());
    assert_valid(&path);
    assert_votlint_clean(&path);
}

#[test]
fn values_follow_the_column_type() {
    let table = ResultTable {
        fields: vec![
            field("n", Datatype::Long),
            field("s", Datatype::Short),
            field("d", Datatype::Double),
            field("c", Datatype::Char),
        ],
        rows: vec![
            vec![text("abc"), Value::Int(70000), text("2.5"), Value::Int(12)],
            vec![
                text(" 17 "),
                Value::Real(f64::INFINITY),
                Value::Int(4),
                Value::Real(0.5),
            ],
        ],
        overflow: false,
    };
    let td = votable_str(&table, Format::TableData);
    assert!(
        td.contains("<TR><TD>abc</TD><TD>-32768</TD><TD>2.5</TD><TD>12</TD></TR>"),
        "{td}"
    );
    assert!(
        td.contains("<TR><TD> 17 </TD><TD>-32768</TD><TD>4.0</TD><TD>0.5</TD></TR>"),
        "{td}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), "types.xml", &render(&table, Format::Binary2));
    let rows = stilts_rows(&path, "votable");
    assert_eq!(
        rows[1],
        vec![None, None, Some("2.5".into()), Some("12".into())]
    );
    assert_eq!(
        rows[2],
        vec![
            Some("17".into()),
            None,
            Some("4.0".into()),
            Some("0.5".into())
        ]
    );
    let json: serde_json::Value = serde_json::from_slice(&render(&table, Format::Json)).unwrap();
    assert_eq!(
        json["data"],
        serde_json::json!([[null, null, 2.5, "12"], [17, null, 4.0, "0.5"]])
    );
}

#[test]
fn csv_is_rfc4180_and_reads_back() {
    let out = render(&sample(true), Format::Csv);
    let csv = String::from_utf8(out.clone()).unwrap();
    assert!(csv.starts_with("id,title,code,val,created,id_2,small,big,f,ID_3\r\n"));
    assert!(csv.contains("\r\n1,Ångström,\"a, \"\"q\"\"\",1.5,2024-01-01T00:00:00,"));
    assert!(csv.contains("\r\n,emoji 🙂 ok,Ångström,,,,,,,\r\n"));
    assert!(csv.contains("\"tab\tline\nend\""));
    let expected = expected_rows(false);
    assert_eq!(parse_csv(&csv), expected);
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), "t.csv", &out);
    // STILTS reads CSV bytes as Latin-1: undo that to compare the UTF-8 text.
    let read: Vec<Vec<Option<String>>> = stilts_rows(&path, "csv")
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|c| c.map(|c| latin1_to_utf8(&c)))
                .collect()
        })
        .collect();
    assert_eq!(read, expected);

    let table = ResultTable {
        fields: vec![field("a", Datatype::Char), field("b", Datatype::Double)],
        rows: vec![
            vec![text(""), Value::Real(f64::NEG_INFINITY)],
            vec![text(" x"), Value::Real(1e300)],
        ],
        overflow: false,
    };
    let csv = String::from_utf8(render(&table, Format::Csv)).unwrap();
    assert_eq!(csv, "a,b\r\n\"\",-Infinity\r\n\" x\",1e300\r\n");
}

fn latin1_to_utf8(s: &str) -> String {
    let bytes: Vec<u8> = s
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn tsv_has_one_line_per_row() {
    let tsv = String::from_utf8(render(&sample(false), Format::Tsv)).unwrap();
    let lines: Vec<&str> = tsv.lines().collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0],
        "id\ttitle\tcode\tval\tcreated\tid_2\tsmall\tbig\tf\tID_3"
    );
    assert_eq!(lines[2], "\temoji 🙂 ok\tÅngström\t\t\t\t\t\t\t");
    assert_eq!(
        lines[3],
        "3\tx <&> y\ttab line end\t\t2024-02-29T12:30:00.5\t-1\t42\t-5\t3.0\t0"
    );
    assert!(tsv.ends_with('\n') && !tsv.contains('\r'));
}

#[test]
fn json_has_columns_typed_data_and_status() {
    for overflow in [false, true] {
        let json: serde_json::Value =
            serde_json::from_slice(&render(&sample(overflow), Format::Json)).unwrap();
        assert_eq!(
            json["queryStatus"],
            if overflow { "OVERFLOW" } else { "OK" }
        );
        let columns = json["columns"].as_array().unwrap();
        assert_eq!(columns.len(), 10);
        assert_eq!(columns[5]["name"], "id_2");
        assert_eq!(columns[4]["xtype"], "timestamp");
        assert_eq!(columns[4]["arraysize"], "*");
        assert_eq!(columns[8]["unit"], "deg");
        assert_eq!(columns[8]["datatype"], "float");
        assert_eq!(columns[0]["description"], serde_json::Value::Null);
        let data = json["data"].as_array().unwrap();
        assert_eq!(
            data[0],
            serde_json::json!([
                1,
                "Ångström",
                "a, \"q\"",
                1.5,
                "2024-01-01T00:00:00",
                10,
                -3,
                1_099_511_627_776_i64,
                0.25,
                7
            ])
        );
        assert_eq!(
            data[1],
            serde_json::json!([
                null,
                "emoji 🙂 ok",
                "Ångström",
                null,
                null,
                null,
                null,
                null,
                null,
                null
            ])
        );
        assert_eq!(data[2][0], 3);
        assert_eq!(data[2][3], serde_json::Value::Null);
        assert_eq!(data[2][6], 42);
    }
}

#[test]
fn format_names_and_mime_types() {
    let ok = |v: &str, f: Format, mime: &str| {
        assert_eq!(Format::from_param(v), Some((f, mime.to_owned())), "{v}");
    };
    let votable = "application/x-votable+xml";
    for v in ["votable", "VOTable", "votable/td", "VOTABLETD"] {
        ok(v, Format::TableData, votable);
    }
    for v in ["votable/b2", "votableB2", "binary2"] {
        ok(v, Format::Binary2, votable);
    }
    ok("application/x-votable+xml", Format::TableData, votable);
    ok("Application/X-VOTable+XML", Format::TableData, votable);
    ok("text/xml", Format::TableData, "text/xml");
    let td = "application/x-votable+xml;serialization=TABLEDATA";
    ok(td, Format::TableData, td);
    ok(
        "application/x-votable+xml ; Serialization = tabledata",
        Format::TableData,
        td,
    );
    let b2 = "application/x-votable+xml;serialization=BINARY2";
    ok(b2, Format::Binary2, b2);
    ok(
        "application/x-votable+xml;serialization=binary2",
        Format::Binary2,
        b2,
    );
    ok(
        "text/xml;serialization=BINARY2",
        Format::Binary2,
        "text/xml;serialization=BINARY2",
    );
    for v in [
        "csv",
        "CSV",
        "text/csv",
        "text/csv;header=present",
        "text/csv; header=present",
    ] {
        ok(v, Format::Csv, "text/csv;header=present");
    }
    for v in ["tsv", "text/tab-separated-values"] {
        ok(v, Format::Tsv, "text/tab-separated-values");
    }
    for v in ["json", "application/json"] {
        ok(v, Format::Json, "application/json");
    }
    assert_eq!(
        Format::default_votable(),
        (Format::TableData, votable.to_owned())
    );
    for v in [
        "",
        "fits",
        "application/fits",
        "votable/fits",
        "application/x-votable+xml;serialization=BINARY",
        "application/x-votable+xml;serialization=FITS",
        "application/x-votable+xml;serialization",
        "text/csv;header=absent",
        "text/html",
        "votable;serialization=binary2",
        "csvx",
    ] {
        assert_eq!(Format::from_param(v), None, "{v}");
    }
}

#[test]
fn duplicate_and_empty_names_become_unique() {
    let names = |ns: &[&str]| {
        let fields: Vec<Field> = ns.iter().map(|n| field(n, Datatype::Int)).collect();
        unique_names(&fields)
            .into_iter()
            .map(Cow::into_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&["a", "b"]), ["a", "b"]);
    assert_eq!(names(&["a", "a", "a"]), ["a", "a_2", "a_3"]);
    assert_eq!(names(&["a", "a", "a_2"]), ["a", "a_3", "a_2"]);
    assert_eq!(names(&["ivoid", "IVOID"]), ["ivoid", "IVOID_2"]);
    assert_eq!(names(&["", "col1", " "]), ["col1_2", "col1", "col3"]);
}

#[test]
fn escaping_keeps_xml_well_formed() {
    let esc = |s: &str, attr: bool| {
        let mut out = Vec::new();
        votable::escape(&mut out, s, attr);
        String::from_utf8(out).unwrap()
    };
    assert_eq!(esc("a<b>&c\"", false), "a&lt;b&gt;&amp;c\"");
    assert_eq!(esc("a<b>&c\"", true), "a&lt;b&gt;&amp;c&quot;");
    assert_eq!(esc("t\tn\nr\r", false), "t\tn\nr&#13;");
    assert_eq!(esc("t\tn\nr\r", true), "t&#9;n&#10;r&#13;");
    assert_eq!(
        esc("\u{0}x\u{1b}\u{fffe}\u{ffff}\u{fffd}é🙂", false),
        "?x???\u{fffd}é🙂"
    );
}
