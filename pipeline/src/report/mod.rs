//! `mull report`: one HTML page (and the same tables as markdown) over evaluation and training
//! directories, with plots drawn by plotters as PNG and SVG:
//!
//! - accuracy against samples N on a log2 axis: pass@N, maj@N, PRM best-of-N (min) and
//!   PRM-weighted majority (min), one set of lines per evaluation;
//! - accuracy against tokens spent (the mean tokens of N samples), on a log2 axis;
//! - accuracy by difficulty: pass@1 and pass@k per family and level;
//! - training and held-out loss against steps, one pair of lines per training directory.
//!
//! An evaluation directory is one with `metrics.json` (`mull eval`); a training directory one
//! with `metrics.jsonl` (`mull distill`).

pub mod plots;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::PipelineError;
use plots::{Chart, Series};

/// One `mull eval` output.
#[derive(Debug, Clone)]
struct EvalInput {
    name: String,
    k: usize,
    rows: Vec<Value>,
}

/// One training directory's loss curves.
#[derive(Debug, Clone)]
struct TrainInput {
    name: String,
    loss: Vec<(f64, f64)>,
    held_out: Vec<(f64, f64)>,
}

/// What a report drew.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSummary {
    pub evaluations: usize,
    pub trainings: usize,
    pub plots: Vec<PathBuf>,
}

fn read_json(path: &Path) -> Result<Value, PipelineError> {
    let text = std::fs::read_to_string(path).map_err(|source| PipelineError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text)
        .map_err(|e| PipelineError::Report(format!("{}: {e}", path.display())))
}

fn name_of(dir: &Path) -> String {
    dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn read_inputs(dirs: &[PathBuf]) -> Result<(Vec<EvalInput>, Vec<TrainInput>), PipelineError> {
    let (mut evals, mut trains) = (Vec::new(), Vec::new());
    for dir in dirs {
        let metrics = dir.join("metrics.json");
        let log = dir.join("metrics.jsonl");
        if metrics.is_file() {
            let v = read_json(&metrics)?;
            evals.push(EvalInput {
                name: name_of(dir),
                k: v["k"].as_u64().unwrap_or(1) as usize,
                rows: v["rows"].as_array().cloned().unwrap_or_default(),
            });
        } else if log.is_file() {
            let text = std::fs::read_to_string(&log).map_err(|source| PipelineError::Io {
                path: log.clone(),
                source,
            })?;
            let mut input = TrainInput {
                name: name_of(dir),
                loss: Vec::new(),
                held_out: Vec::new(),
            };
            for (i, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                let v: Value = serde_json::from_str(line).map_err(|e| {
                    PipelineError::Report(format!("{}:{}: {e}", log.display(), i + 1))
                })?;
                let step = v["step"].as_f64().unwrap_or(0.0);
                if let Some(l) = v["loss"].as_f64() {
                    input.loss.push((step, l));
                }
                if let Some(l) = v["held-out-loss"].as_f64() {
                    input.held_out.push((step, l));
                }
            }
            trains.push(input);
        } else {
            return Err(PipelineError::Report(format!(
                "{}: neither an evaluation (metrics.json) nor a training directory (metrics.jsonl)",
                dir.display()
            )));
        }
    }
    Ok((evals, trains))
}

/// The "all" row of an evaluation.
fn all_row(e: &EvalInput) -> Option<&Value> {
    e.rows.iter().find(|r| r["family"] == "all")
}

const METHODS: [(&str, &str); 5] = [
    ("pass", "pass@N"),
    ("maj", "maj@N"),
    ("prm-best-min", "PRM best-of-N (min)"),
    ("prm-weighted-maj-min", "PRM-weighted maj (min)"),
    ("prm-beam", "PRM beam search"),
];

fn accuracy_chart(evals: &[EvalInput], by_tokens: bool) -> Chart {
    let mut series = Vec::new();
    for e in evals {
        let Some(row) = all_row(e) else { continue };
        for (key, label) in METHODS {
            let points: Vec<(f64, f64)> = mull_distill::eval::sample_sizes(e.k)
                .into_iter()
                .filter_map(|n| {
                    let y = row[format!("{key}@{n}")].as_f64()?;
                    // Beam search spends its own tokens; the other methods N samples'.
                    let tokens = if key == "prm-beam" {
                        "beam-tokens"
                    } else {
                        "tokens"
                    };
                    let x = if by_tokens {
                        row[format!("{tokens}@{n}")].as_f64()?
                    } else {
                        n as f64
                    };
                    Some((x, y))
                })
                .collect();
            if !points.is_empty() {
                let name = if evals.len() > 1 {
                    format!("{} {label}", e.name)
                } else {
                    label.to_string()
                };
                series.push(Series { name, points });
            }
        }
    }
    Chart {
        title: if by_tokens {
            "Accuracy against tokens spent".into()
        } else {
            "Accuracy against samples".into()
        },
        x_label: if by_tokens {
            "tokens (mean, N samples)".into()
        } else {
            "samples N".into()
        },
        y_label: "accuracy".into(),
        log2_x: true,
        y_range: Some((0.0, 1.0)),
        series,
    }
}

fn difficulty_chart(evals: &[EvalInput]) -> Chart {
    let mut series = Vec::new();
    for e in evals {
        let mut families: Vec<&str> = e
            .rows
            .iter()
            .filter_map(|r| r["family"].as_str())
            .filter(|f| *f != "all")
            .collect();
        families.dedup();
        for family in families {
            for key in ["pass@1".to_string(), format!("pass@{}", e.k)] {
                let mut points: Vec<(f64, f64)> = e
                    .rows
                    .iter()
                    .filter(|r| r["family"] == family)
                    .filter_map(|r| {
                        let d: f64 = r["difficulty"].as_str()?.parse().ok()?;
                        Some((d, r[&key].as_f64()?))
                    })
                    .collect();
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                series.push(Series {
                    name: format!(
                        "{}{family} {key}",
                        if evals.len() > 1 {
                            format!("{} ", e.name)
                        } else {
                            String::new()
                        }
                    ),
                    points,
                });
            }
        }
    }
    Chart {
        title: "Accuracy by difficulty".into(),
        x_label: "difficulty level".into(),
        y_label: "accuracy".into(),
        log2_x: false,
        y_range: Some((0.0, 1.0)),
        series,
    }
}

fn loss_chart(trains: &[TrainInput]) -> Chart {
    let mut series = Vec::new();
    for t in trains {
        series.push(Series {
            name: format!("{} training", t.name),
            points: t.loss.clone(),
        });
        if !t.held_out.is_empty() {
            series.push(Series {
                name: format!("{} held-out", t.name),
                points: t.held_out.clone(),
            });
        }
    }
    Chart {
        title: "Loss".into(),
        x_label: "step".into(),
        y_label: "loss".into(),
        log2_x: false,
        y_range: None,
        series,
    }
}

/// Columns of an evaluation table: the metrics key (`KEY@N`) and its header. Token columns
/// print whole numbers, the others three decimals; a missing figure is `-`.
pub const EVAL_COLUMNS: [(&str, &str); 9] = [
    ("pass", "pass@N"),
    ("maj", "maj@N"),
    ("prm-best-last", "PRM best (last)"),
    ("prm-best-min", "PRM best (min)"),
    ("prm-best-prod", "PRM best (prod)"),
    ("prm-weighted-maj-min", "PRM-weighted maj (min)"),
    ("prm-beam", "PRM beam"),
    ("tokens", "tokens"),
    ("beam-tokens", "beam tokens"),
];

/// The columns the report's tables show.
const REPORT_COLUMNS: [(&str, &str); 7] = [
    EVAL_COLUMNS[0],
    EVAL_COLUMNS[1],
    EVAL_COLUMNS[3],
    EVAL_COLUMNS[5],
    EVAL_COLUMNS[6],
    EVAL_COLUMNS[7],
    EVAL_COLUMNS[8],
];

/// `| N | header... |` and its rule line, for `columns`.
pub fn markdown_header(columns: &[(&str, &str)]) -> String {
    let headers: Vec<&str> = columns.iter().map(|(_, h)| *h).collect();
    format!(
        "| N | {} |\n|---|{}\n",
        headers.join(" | "),
        "---|".repeat(columns.len())
    )
}

/// The cells of one row at N = `n`.
pub fn table_cells(row: &Value, n: usize, columns: &[(&str, &str)]) -> Vec<String> {
    columns
        .iter()
        .map(|(key, _)| {
            let v = row[format!("{key}@{n}")].as_f64();
            match v {
                None => "-".to_string(),
                Some(x) if key.ends_with("tokens") => format!("{x:.0}"),
                Some(x) => format!("{x:.3}"),
            }
        })
        .collect()
}

/// The evaluation tables as (markdown, html).
fn tables(evals: &[EvalInput]) -> (String, String) {
    let (mut md, mut html) = (String::new(), String::new());
    let headers: String = REPORT_COLUMNS
        .iter()
        .map(|(_, h)| format!("<th>{h}</th>"))
        .collect();
    for e in evals {
        for row in &e.rows {
            let title = format!(
                "{}: {} (difficulty {}, {} problems)",
                e.name,
                row["family"].as_str().unwrap_or("?"),
                row["difficulty"].as_str().unwrap_or("?"),
                row["problems"]
            );
            md.push_str(&format!(
                "\n### {title}\n\n{}",
                markdown_header(&REPORT_COLUMNS)
            ));
            html.push_str(&format!(
                "<h3>{}</h3>\n<table>\n<tr><th>N</th>{headers}</tr>\n",
                escape(&title)
            ));
            for n in mull_distill::eval::sample_sizes(e.k) {
                let cells = table_cells(row, n, &REPORT_COLUMNS);
                md.push_str(&format!("| {n} | {} |\n", cells.join(" | ")));
                html.push_str(&format!(
                    "<tr><td>{n}</td>{}</tr>\n",
                    cells
                        .iter()
                        .map(|c| format!("<td>{c}</td>"))
                        .collect::<String>()
                ));
            }
            html.push_str("</table>\n");
        }
    }
    (md, html)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Draws the report of `inputs` into `out`.
pub fn report(inputs: &[PathBuf], out: &Path) -> Result<ReportSummary, PipelineError> {
    let (evals, trains) = read_inputs(inputs)?;
    std::fs::create_dir_all(out).map_err(|source| PipelineError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let mut charts: Vec<(&str, Chart)> = Vec::new();
    if !evals.is_empty() {
        charts.push(("accuracy-samples", accuracy_chart(&evals, false)));
        charts.push(("accuracy-tokens", accuracy_chart(&evals, true)));
        charts.push(("accuracy-difficulty", difficulty_chart(&evals)));
    }
    if !trains.is_empty() {
        charts.push(("loss", loss_chart(&trains)));
    }
    let mut plots = Vec::new();
    let mut figures = String::new();
    for (name, chart) in &charts {
        plots::write(chart, &out.join(name))?;
        plots.push(out.join(format!("{name}.png")));
        figures.push_str(&format!(
            "<figure><img src=\"{name}.png\" alt=\"{}\"><figcaption>{} (<a href=\"{name}.svg\">SVG</a>)</figcaption></figure>\n",
            escape(&chart.title),
            escape(&chart.title)
        ));
    }
    let (md_tables, html_tables) = tables(&evals);
    let mut training_md = String::new();
    for t in &trains {
        let last = t
            .loss
            .last()
            .map_or_else(|| "-".into(), |p| format!("{:.4}", p.1));
        let held = t
            .held_out
            .last()
            .map_or_else(|| "-".into(), |p| format!("{:.4}", p.1));
        training_md.push_str(&format!(
            "| {} | {} | {last} | {held} |\n",
            t.name,
            t.loss.len()
        ));
    }
    let training_table = if trains.is_empty() {
        String::new()
    } else {
        format!("\n## Training\n\n| run | steps logged | last loss | last held-out loss |\n|---|---|---|---|\n{training_md}")
    };
    let md = format!(
        "# mull report\n\nInputs: {}\n{training_table}\n## Evaluation\n{md_tables}",
        inputs
            .iter()
            .map(|p| format!("`{}`", p.display()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let html = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>mull report</title>\n<style>body{{font-family:sans-serif;max-width:960px;margin:2em auto}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}figure{{margin:1em 0}}img{{max-width:100%}}</style></head><body>\n<h1>mull report</h1>\n{figures}<pre>{}</pre>\n{html_tables}</body></html>\n",
        escape(&training_table)
    );
    let write = |name: &str, text: &str| -> Result<(), PipelineError> {
        Ok(mull_data::shard::write_file_atomic(
            &out.join(name),
            text.as_bytes(),
        )?)
    };
    write("report.md", &md)?;
    write("index.html", &html)?;
    Ok(ReportSummary {
        evaluations: evals.len(),
        trainings: trains.len(),
        plots,
    })
}
