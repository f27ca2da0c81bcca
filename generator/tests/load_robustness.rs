//! The loader on hostile and broken input: near-miss suggestions, the real line of a syntax
//! error, the size limit, and a seeded fuzz run (arbitrary bytes, deep nesting, anchors and
//! aliases, huge scalars, mutations of a valid spec) that must never panic and always answer
//! with diagnostics or a value.

use stackgen_generator::cli::DEFAULT_SPEC;
use stackgen_generator::load::{Format, MAX_SPEC_BYTES, load_str};
use stackgen_modules::StackSpec;
use stackgen_modules::diagnostics::Location;

#[track_caller]
fn problems(text: &str, format: Format) -> Vec<String> {
    match load_str::<StackSpec>(text, format) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => diagnostics.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn near_misses_of_short_names_get_a_suggestion() {
    let record = "  hosted_zone_name: example.com\n  subdomains:\n    - name: www\n      type: A\n      records: [203.0.113.1]\n";
    let cases = [
        ("tll", "ttl", ("  hosted_zone_name: example.com\n", format!("{record}      tll: 60\n"))),
        ("tt", "ttl", ("  hosted_zone_name: example.com\n", format!("{record}      tt: 60\n"))),
        ("skuu", "sku", ("  name: stackgendemo\n", "  name: stackgendemo\n  skuu: Basic\n".to_owned())),
        ("replcas", "replicas", ("  host: app.example.com\n", "  host: app.example.com\n  replcas: 2\n".to_owned())),
    ];
    for (typo, meant, (from, to)) in cases {
        let text = DEFAULT_SPEC.replace(from, &to);
        assert_ne!(text, DEFAULT_SPEC);
        let shown = problems(&text, Format::Yaml).join("\n");
        assert!(shown.contains(&format!("unknown field `{typo}`; did you mean `{meant}`?")), "{typo}:\n{shown}");
    }
    // Unrelated words get no suggestion but the list of fields.
    let text = DEFAULT_SPEC.replace("  name: stackgendemo\n", "  name: stackgendemo\n  colour: blue\n");
    let shown = problems(&text, Format::Yaml).join("\n");
    assert!(shown.contains("unknown field `colour`; expected one of"), "{shown}");
}

#[test]
fn a_control_character_is_reported_on_its_own_line_and_column() {
    let text = "stack:\n  name: demo\n  location: \"west\u{1}europe\"\n";
    let Err(diagnostics) = load_str::<StackSpec>(text, Format::Yaml) else { panic!("a syntax error") };
    let first = diagnostics.iter().next().expect("one problem");
    assert_eq!(first.rule, "syntax");
    assert_eq!(first.location, Some(Location { line: 3, column: 18 }), "{first}");
}

#[test]
fn input_over_the_size_limit_is_refused_before_parsing() {
    let mut text = DEFAULT_SPEC.to_owned();
    text.push_str(&"# padding\n".repeat(MAX_SPEC_BYTES / 10 + 1));
    let shown = problems(&text, Format::Yaml).join("\n");
    assert!(shown.contains("[too-large]") && shown.contains(&MAX_SPEC_BYTES.to_string()), "{shown}");
    // At the limit, a spec still loads.
    let mut text = DEFAULT_SPEC.to_owned();
    text.push_str(&"#".repeat(MAX_SPEC_BYTES - text.len()));
    assert!(load_str::<StackSpec>(&text, Format::Yaml).is_ok());
}

/// A small, fixed-seed generator (splitmix64), so a failing case reproduces from its number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One fuzz input: what kind it is, and its text.
fn case(rng: &mut Rng) -> (&'static str, String) {
    match rng.below(7) {
        0 => {
            let len = rng.below(400);
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            ("arbitrary bytes", String::from_utf8_lossy(&bytes).into_owned())
        }
        1 => {
            let depth = 1 + rng.below(5000);
            let open = ["[", "{a: ", "- ", "a:\n  "][rng.below(4)];
            ("deep nesting", open.repeat(depth))
        }
        2 => {
            // A billion laughs: each level doubles the one before.
            let levels = 1 + rng.below(40);
            let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
            for i in 1..levels {
                text.push_str(&format!(
                    "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n",
                    p = i - 1
                ));
            }
            text.push_str(&format!("stack: *a{}\n", levels - 1));
            ("anchors and aliases", text)
        }
        3 => {
            let len = rng.below(MAX_SPEC_BYTES + MAX_SPEC_BYTES / 4);
            ("huge scalar", format!("stack:\n  name: {}\n", "n".repeat(len)))
        }
        4 => {
            // A valid spec with bytes flipped, inserted or cut.
            let mut bytes = DEFAULT_SPEC.as_bytes().to_vec();
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(bytes.len());
                match rng.below(3) {
                    0 => bytes[at] = rng.next() as u8,
                    1 => {
                        let specials = b":-[{*&!|>'\"#%@`\t\n";
                        bytes.insert(at, specials[rng.below(specials.len())]);
                    }
                    _ => {
                        bytes.truncate(at.max(1));
                    }
                }
            }
            ("mutated spec", String::from_utf8_lossy(&bytes).into_owned())
        }
        5 => {
            // Type confusion: every scalar of the valid spec replaced by a list or a map.
            let replacement = ["[]", "{}", "[1, 2]", "{a: 1}", "~", "-1", "1e999", "!!binary aGk="][rng.below(8)];
            let text = DEFAULT_SPEC
                .lines()
                .map(|line| match line.split_once(": ") {
                    Some((key, _)) if rng.below(3) == 0 => format!("{key}: {replacement}"),
                    _ => line.to_owned(),
                })
                .collect::<Vec<_>>()
                .join("\n");
            ("type confusion", text)
        }
        _ => {
            let keys = 1 + rng.below(3000);
            let text: String = (0..keys).map(|i| format!("k{}: {i}\n", rng.below(keys))).collect();
            ("many keys and duplicates", text)
        }
    }
}

#[test]
fn the_loader_never_panics_and_always_answers_on_fuzzed_input() {
    let mut rng = Rng(0x5eed);
    let cases: usize = std::env::var("STACKGEN_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(400);
    let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
    for number in 0..cases {
        let (kind, text) = case(&mut rng);
        *kinds.entry(kind).or_default() += 1;
        for format in [Format::Yaml, Format::Json, Format::Toml] {
            let started = std::time::Instant::now();
            let outcome = std::panic::catch_unwind(|| load_str::<StackSpec>(&text, format).map(|_| ()));
            match outcome {
                Ok(Ok(())) => {}
                Ok(Err(diagnostics)) => {
                    assert!(!diagnostics.is_empty(), "case {number} ({kind}, {format:?}): an error with no diagnostic");
                    assert!(
                        diagnostics.iter().all(|d| d.location.is_some()),
                        "case {number} ({kind}, {format:?}): a problem without a location:\n{diagnostics}"
                    );
                }
                Err(_) => panic!(
                    "case {number} ({kind}, {format:?}) panicked on:\n{}",
                    text.chars().take(300).collect::<String>()
                ),
            }
            // Printed, not asserted (timing is for benchmarks); a runaway case shows up here.
            let took = started.elapsed();
            if took > std::time::Duration::from_secs(2) {
                eprintln!("slow: case {number} ({kind}, {format:?}) took {took:?}");
            }
        }
    }
    eprintln!("fuzzed {cases} inputs × 3 formats: {kinds:?}");
}

#[test]
fn a_spec_broken_everywhere_reports_a_bounded_list_and_says_it_stopped() {
    use stackgen_generator::load::MAX_REPAIRS;
    let records: String = (0..MAX_REPAIRS * 2)
        .map(|i| format!("    - {{name: h{i}, type: A, ttl: soon, records: [192.0.2.1]}}\n"))
        .collect();
    let text = stackgen_generator::DEFAULT_SPEC.replace(
        "  hosted_zone_name: example.com\n",
        &format!("  hosted_zone_name: example.com\n  subdomains:\n{records}"),
    );
    let Err(diagnostics) = load_str::<StackSpec>(&text, Format::Yaml) else { panic!("broken") };
    let types = diagnostics.iter().filter(|d| d.rule == "type").count();
    assert_eq!(types, MAX_REPAIRS, "{diagnostics}");
    assert!(diagnostics.iter().any(|d| d.rule == "too-many-problems"), "{diagnostics}");
}
