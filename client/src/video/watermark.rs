//! The watermark a family's viewer draws into each picture where the room asks for it: the
//! viewer's name and the date and time, semi-transparent, drifting slowly around the
//! picture so that no crop of a fixed part removes it. It is drawn into the canvas itself,
//! so a saved or full-screen picture carries it as well; the frames stay shared.

use web_sys::CanvasRenderingContext2d;

use nido_shared::Timestamp;

/// Seconds to cross the picture once sideways, and once up or down: different, so the
/// text visits every part of it.
const ACROSS_SECONDS: f64 = 37.0;
const DOWN_SECONDS: f64 = 23.0;

/// Draws `text` over a `width` × `height` picture at the place it has reached at `now`.
pub fn draw(
    context: &CanvasRenderingContext2d,
    text: &str,
    width: f64,
    height: f64,
    now: Timestamp,
) {
    let size = (height / 18.0).max(12.0);
    context.set_font(&format!("600 {}px system-ui, sans-serif", size as u32));
    let text_width = context
        .measure_text(text)
        .map_or(width / 2.0, |metrics| metrics.width());
    let seconds = now.as_micros() as f64 / 1_000_000.0;
    let x = bounce(seconds / ACROSS_SECONDS) * (width - text_width).max(0.0);
    let y = size + bounce(seconds / DOWN_SECONDS) * (height - 1.5 * size).max(0.0);
    context.set_line_width((size / 8.0).max(1.0));
    context.set_stroke_style_str("rgba(0, 0, 0, 0.35)");
    context.set_fill_style_str("rgba(255, 255, 255, 0.55)");
    let _ = context.stroke_text(text, x, y);
    let _ = context.fill_text(text, x, y);
}

/// 0 → 1 → 0 over each whole number of `turns`: straight lines, so no trigonometry (and no
/// maths library) is linked into the app.
fn bounce(turns: f64) -> f64 {
    let phase = turns - turns.trunc();
    if phase < 0.5 {
        2.0 * phase
    } else {
        2.0 - 2.0 * phase
    }
}

#[cfg(test)]
mod tests {
    use super::bounce;

    #[test]
    fn it_goes_across_and_back() {
        assert_eq!(bounce(0.0), 0.0);
        assert_eq!(bounce(0.25), 0.5);
        assert_eq!(bounce(0.5), 1.0);
        assert_eq!(bounce(0.75), 0.5);
        assert_eq!(bounce(7.0), 0.0);
    }
}
