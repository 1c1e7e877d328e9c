//! Rendering a location's template for a destination, and raw-text segmenting (the
//! preview endpoint), with the example deployment's operator rules.

use gateway::config::Config;
use gateway::render::{self, RenderRequest, Renderer, TemplateKind};
use std::path::Path;
use std::sync::LazyLock;

/// The renderer built from `examples/operators.toml`: every kind of operator rule
/// (title required, GSM-7 only, reduced limits, transliteration, smart encoding).
static RENDERER: LazyLock<Renderer> = LazyLock::new(|| {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/operators.toml");
    let config = Config::load(Some(&file), Some(Default::default())).expect("example config");
    Renderer::new(&config.render).expect("example render config")
});

/// Input: six lines: language, template (`code_only` or `code_with_title`, anything else
/// picks by length), company name (empty for none), location name, code, phone (E.164);
/// the last line may hold newlines. A successful render is one segment, and its
/// numbers agree with segmenting its text.
pub fn render(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.splitn(6, '\n');
    let mut next = || lines.next().unwrap_or("");
    let language = next();
    let template = match next() {
        "code_only" => TemplateKind::CodeOnly,
        "code_with_title" => TemplateKind::CodeWithTitle,
        other if other.len() % 2 == 0 => TemplateKind::CodeOnly,
        _ => TemplateKind::CodeWithTitle,
    };
    let company = next();
    let location_name = next();
    let code = next();
    let phone_e164 = next();
    let request = RenderRequest {
        language,
        template,
        company_name: (!company.is_empty()).then_some(company),
        location_name,
        code,
        phone_e164,
    };
    let Ok(rendered) = RENDERER.render(&request) else {
        return;
    };
    assert_eq!(rendered.segments, 1, "a successful render is one SMS");
    assert!(rendered.fits_single_segment);
    assert!(rendered.units <= rendered.max_units, "{rendered:?}");
    let info = render::segment(&rendered.text);
    assert_eq!(info.units, rendered.units, "units disagree with segmenting");
    assert_eq!(info.encoding, rendered.encoding, "encoding disagrees");
    assert!(rendered.text.contains(code), "the code is not in the text");
}

/// Input: any text. Segment counts follow the carriers' limits.
pub fn segment(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let info = render::segment(&text);
    let (encoding, units) = render::measure(&text);
    assert_eq!((info.encoding, info.units), (encoding, units));
    if units == 0 {
        assert_eq!(info.segments, 0);
    } else if units <= encoding.single_limit() {
        assert_eq!(info.segments, 1);
    } else {
        // Each part holds at most `part_limit` units, and a part is only started when
        // the previous one cannot take the next character, so no more parts than one per
        // unit and at least the minimum the limit allows.
        let min = units.div_ceil(encoding.part_limit());
        assert!(
            info.segments >= min,
            "{} parts for {units} units",
            info.segments
        );
        assert!(info.segments <= units);
    }
    assert_eq!(
        info.ucs2_chars.is_empty(),
        encoding == render::Encoding::Gsm7
    );
}
