//! Benchmarks of message rendering: template fill, operator rules, title shortening and
//! segmenting for typical messages, plus raw-text segmenting for previews. The target is
//! under 2 µs per message on one core; `docs/rendering.md` records the measured figures.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use gateway::render::{
    OperatorConfig, RenderConfig, RenderRequest, Renderer, TemplateKind, segment,
};

fn renderer() -> Renderer {
    let megafon = OperatorConfig {
        id: "ru-megafon".to_owned(),
        prefixes: (920..=939).map(|p| format!("+7{p}")).collect(),
        require_title: Some(true),
        max_units: Some(69),
        ..OperatorConfig::default()
    };
    let cfg = RenderConfig {
        operators: vec![megafon],
        ..RenderConfig::default()
    };
    Renderer::new(&cfg).expect("valid config")
}

fn request<'a>(
    language: &'a str,
    template: TemplateKind,
    company: Option<&'a str>,
    phone: &'a str,
) -> RenderRequest<'a> {
    RenderRequest {
        language,
        template,
        company_name: company,
        location_name: "Main Street",
        code: "482193",
        phone_e164: phone,
    }
}

fn bench(c: &mut Criterion) {
    let r = renderer();
    let long_ru = "Салон красоты и здоровья Ромашка на Ленинском проспекте у станции метро Юго-Западная д 100";
    let cases = [
        (
            "en_code_only",
            request("en", TemplateKind::CodeOnly, None, "+12025550143"),
        ),
        (
            "ru_title_required_megafon",
            request(
                "ru",
                TemplateKind::CodeOnly,
                Some("Ромашка"),
                "+79201234567",
            ),
        ),
        (
            "ru_long_title_shortened_69",
            request(
                "ru",
                TemplateKind::CodeWithTitle,
                Some(long_ru),
                "+79201234567",
            ),
        ),
        (
            "en_smart_encoding",
            request(
                "en",
                TemplateKind::CodeWithTitle,
                Some("“Lily’s” Spa — Downtown"),
                "+12025550143",
            ),
        ),
    ];
    let mut group = c.benchmark_group("render");
    for (name, req) in &cases {
        group.bench_function(*name, |b| {
            b.iter(|| r.render(black_box(req)).expect("renders"))
        });
    }
    group.finish();

    let raw = "Confirmation code for Lily's Beauty Salon: 482193. ".repeat(6);
    let raw_ru = "Код подтверждения для Ромашка: 482193 😀 ".repeat(4);
    let mut group = c.benchmark_group("segment");
    group.bench_function("gsm7_306_septets", |b| b.iter(|| segment(black_box(&raw))));
    group.bench_function("ucs2_multipart", |b| b.iter(|| segment(black_box(&raw_ru))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
