//! The bytes a second a room's video is running at, over the last second: each viewer's
//! socket send buffer is sized to about that much.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// The span over which the video's byte rate is measured.
const RATE_WINDOW: Duration = Duration::from_secs(1);
/// The shortest span a rate is judged over, so that the first frames do not make it huge.
const SHORTEST_SPAN: Duration = Duration::from_millis(100);

/// The bytes published over the last [`RATE_WINDOW`]: the frames in it and their sum.
#[derive(Debug, Default)]
pub struct ByteRate {
    frames: VecDeque<(Instant, usize)>,
    bytes: usize,
}

impl ByteRate {
    /// Counts a frame of `len` bytes that arrived `at`, and returns the bytes a second the
    /// frames in the window make: those that came after the oldest, over the time since it
    /// (at least [`SHORTEST_SPAN`]), so that a young channel's rate is right at once.
    pub fn add(&mut self, at: Instant, len: usize) -> usize {
        while let Some(&(oldest_at, oldest_len)) = self.frames.front()
            && at.duration_since(oldest_at) >= RATE_WINDOW
        {
            self.frames.pop_front();
            self.bytes -= oldest_len;
        }
        self.frames.push_back((at, len));
        self.bytes += len;
        let (oldest_at, oldest_len) = self.frames[0];
        let (bytes, span) = match self.bytes - oldest_len {
            0 => (len, Duration::ZERO),
            after_oldest => (after_oldest, at.duration_since(oldest_at)),
        };
        let span = span.max(SHORTEST_SPAN);
        (bytes as f64 * RATE_WINDOW.as_secs_f64() / span.as_secs_f64()) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_rate_counts_the_last_second_only() {
        let mut rate = ByteRate::default();
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        // Alone, a frame is judged over the shortest span: 100 bytes in 100 ms.
        assert_eq!(rate.add(at(0), 100), 1_000);
        // Then what came after the first, over the time since it.
        assert_eq!(rate.add(at(500), 200), 400);
        assert_eq!(rate.add(at(800), 300), 625);
        // The first frame is a whole second old now, so it no longer counts.
        assert_eq!(rate.add(at(1_000), 400), 1_400);
        assert_eq!(rate.add(at(3_000), 50), 500);
    }
}
