//! The measurement window of a step, in the load generator's clock: frames scheduled
//! inside it are the ones counted.

#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start_us: u64,
    pub end_us: u64,
}

impl Window {
    pub fn contains(self, us: u64) -> bool {
        (self.start_us..self.end_us).contains(&us)
    }

    pub fn seconds(self) -> f64 {
        (self.end_us - self.start_us) as f64 / 1e6
    }
}
