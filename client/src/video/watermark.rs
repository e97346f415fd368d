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
/// The text's size, in the picture's pixels (a 640×480 picture has 20 lines of it).
const FONT_PX: f64 = 24.0;
const FONT: &str = "600 24px system-ui, sans-serif";

/// Draws `text` over a `width` × `height` picture at the place it has reached at `now`:
/// light letters on a dark shade, readable on any picture.
pub fn draw(
    context: &CanvasRenderingContext2d,
    text: &str,
    width: f64,
    height: f64,
    now: Timestamp,
) {
    context.set_font(FONT);
    // About the width of the text, without asking the browser to measure it.
    let text_width = 0.55 * FONT_PX * text.len() as f64;
    let seconds = now.as_micros() as f64 / 1_000_000.0;
    let x = bounce(seconds / ACROSS_SECONDS) * (width - text_width).max(0.0);
    let y = FONT_PX + bounce(seconds / DOWN_SECONDS) * (height - 1.5 * FONT_PX).max(0.0);
    let shade = 2.0;
    for (style, offset) in [
        ("rgba(0, 0, 0, 0.35)", shade),
        ("rgba(255, 255, 255, 0.55)", 0.0),
    ] {
        context.set_fill_style_str(style);
        let _ = context.fill_text(text, x + offset, y + offset);
    }
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
