//! Prints sample problems, and generation throughput per family:
//! `cargo run --release -p mull-generators --example sample -- [family] [count]`.

use std::time::Instant;

use mull_generators::{generate, generator, GeneratorSpec, FAMILIES};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let families: Vec<&str> = match args.first() {
        Some(f) if f != "bench" => vec![f.as_str()],
        _ => FAMILIES.to_vec(),
    };
    if args.first().map(String::as_str) == Some("bench") {
        for family in families {
            let g = generator(family)?;
            for d in 1..=g.levels() {
                let start = Instant::now();
                for i in 0..1000 {
                    g.generate(0, i, d, None)?;
                }
                println!(
                    "{family:<10} level {d}: 1000 problems in {:.1} ms",
                    start.elapsed().as_secs_f64() * 1e3
                );
            }
        }
        return Ok(());
    }
    let count: u64 = args.get(1).and_then(|c| c.parse().ok()).unwrap_or(3);
    for family in families {
        for d in 1..=generator(family)?.levels() {
            for i in 0..count {
                let spec = GeneratorSpec {
                    family: family.into(),
                    variant: None,
                    difficulty: Some(d),
                };
                println!(
                    "{}\n",
                    serde_json::to_string_pretty(&generate(&spec, 1, i)?)?
                );
            }
        }
    }
    Ok(())
}
