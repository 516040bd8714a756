//! Line charts drawn with plotters, each written as PNG and SVG.
//!
//! A log2 x axis is drawn as a linear axis over log2(x), labelled with the powers of two, so one
//! chart function serves both scales.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::PipelineError;

/// One line: a name for the legend and its points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// What to draw.
#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log2_x: bool,
    /// Fixed y range (accuracies are 0..1); `None` fits the data.
    pub y_range: Option<(f64, f64)>,
    pub series: Vec<Series>,
}

const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
    RGBColor(140, 86, 75),
    RGBColor(0, 0, 0),
];

/// Font files tried in order (`MULL_FONT` first): plotters rasterises text with `ab_glyph`,
/// which needs the bytes of a TrueType font.
const FONTS: [&str; 4] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
];

/// Registers a sans-serif font once per process.
pub fn register_font() -> Result<(), PipelineError> {
    static DONE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let result = DONE.get_or_init(|| {
        let candidates: Vec<String> = std::env::var("MULL_FONT")
            .into_iter()
            .chain(FONTS.iter().map(|s| s.to_string()))
            .collect();
        for path in &candidates {
            if let Ok(bytes) = std::fs::read(path) {
                // Fonts live as long as the process: the registry wants 'static bytes.
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                    return Ok(());
                }
            }
        }
        Err(format!(
            "no TrueType font found for the plots (tried {}); set MULL_FONT to a .ttf file or \
             install fonts-dejavu-core",
            candidates.join(", ")
        ))
    });
    result.clone().map_err(PipelineError::Report)
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if (hi - lo).abs() < 1e-9 {
        (lo - 0.5, hi + 0.5)
    } else {
        let pad = (hi - lo) * 0.05;
        (lo - pad, hi + pad)
    }
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, chart: &Chart) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let x_of = |x: f64| if chart.log2_x { x.max(1e-9).log2() } else { x };
    let (x0, x1) = bounds(
        chart
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| x_of(p.0))),
    );
    let (y0, y1) = chart.y_range.unwrap_or_else(|| {
        bounds(
            chart
                .series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.1)),
        )
    });
    let mut ctx = ChartBuilder::on(&root)
        .caption(&chart.title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    let log2 = chart.log2_x;
    // On a log2 axis only whole powers of two get a label.
    let x_fmt = move |v: &f64| {
        if !log2 {
            format!("{v:.0}")
        } else if (v - v.round()).abs() < 1e-6 {
            format!("{:.0}", 2f64.powf(v.round()))
        } else {
            String::new()
        }
    };
    let x_labels = if log2 {
        ((x1 - x0).ceil() as usize + 1).clamp(2, 16)
    } else {
        10
    };
    ctx.configure_mesh()
        .x_labels(x_labels)
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&|v| format!("{v:.2}"))
        .draw()
        .map_err(err)?;
    for (i, s) in chart.series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let points: Vec<(f64, f64)> = s.points.iter().map(|&(x, y)| (x_of(x), y)).collect();
        ctx.draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .map_err(err)?
            .label(s.name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
        ctx.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))
            .map_err(err)?;
    }
    if chart.series.iter().any(|s| !s.name.is_empty()) {
        ctx.configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(legend_corner(&chart.series, &x_of, (x0, x1), (y0, y1)))
            .draw()
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

/// The corner of the plot whose quarter the lines cross least, for the legend: rising accuracy
/// curves leave the upper left free, falling losses the upper right.
fn legend_corner(
    series: &[Series],
    x_of: &dyn Fn(f64) -> f64,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> SeriesLabelPosition {
    // Points along every segment, in 0..1 plot coordinates.
    let mut samples = Vec::new();
    for s in series {
        let points: Vec<(f64, f64)> = s
            .points
            .iter()
            .map(|&(x, y)| {
                (
                    (x_of(x) - x0) / (x1 - x0).max(1e-12),
                    (y - y0) / (y1 - y0).max(1e-12),
                )
            })
            .collect();
        samples.extend(points.iter().copied());
        for w in points.windows(2) {
            for k in 1..16 {
                let t = f64::from(k) / 16.0;
                samples.push((
                    w[0].0 + t * (w[1].0 - w[0].0),
                    w[0].1 + t * (w[1].1 - w[0].1),
                ));
            }
        }
    }
    let corners = [
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let crossings = |right: bool, upper: bool| {
        samples
            .iter()
            .filter(|&&(x, y)| {
                (if right { x >= 0.55 } else { x <= 0.45 })
                    && (if upper { y >= 0.6 } else { y <= 0.4 })
            })
            .count()
    };
    // The first corner with the fewest crossings (the order breaks ties).
    corners
        .into_iter()
        .min_by_key(|&(_, right, upper)| crossings(right, upper))
        .map_or(SeriesLabelPosition::UpperLeft, |(corner, _, _)| corner)
}

/// Writes `chart` to `base.png` and `base.svg`.
pub fn write(chart: &Chart, base: &Path) -> Result<(), PipelineError> {
    register_font()?;
    let size = (880, 540);
    let png = base.with_extension("png");
    let svg = base.with_extension("svg");
    draw(BitMapBackend::new(&png, size).into_drawing_area(), chart)
        .map_err(|e| PipelineError::Report(format!("{}: {e}", png.display())))?;
    draw(SVGBackend::new(&svg, size).into_drawing_area(), chart)
        .map_err(|e| PipelineError::Report(format!("{}: {e}", svg.display())))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corner(points: Vec<(f64, f64)>) -> SeriesLabelPosition {
        let series = [Series {
            name: "a".into(),
            points,
        }];
        legend_corner(&series, &|x| x, (0.0, 4.0), (0.0, 1.0))
    }

    #[test]
    fn the_legend_goes_where_the_lines_are_not() {
        let rising = vec![(0.0, 0.05), (1.0, 0.1), (2.0, 0.2), (3.0, 0.5), (4.0, 0.9)];
        assert!(matches!(corner(rising), SeriesLabelPosition::UpperLeft));
        let falling = vec![(0.0, 0.95), (1.0, 0.5), (2.0, 0.3), (3.0, 0.2), (4.0, 0.1)];
        assert!(matches!(corner(falling), SeriesLabelPosition::UpperRight));
        let high = vec![(0.0, 0.9), (4.0, 0.95)];
        assert!(matches!(corner(high), SeriesLabelPosition::LowerRight));
    }
}
