//! CPU time and resident memory of a process, read from `/proc`.

use anyhow::Context;

/// Linux reports CPU times in `/proc/PID/stat` in USER_HZ ticks, which is 100 on every
/// architecture Nido runs on.
const TICKS_PER_SECOND: f64 = 100.0;

/// One reading of a process's counters.
#[derive(Debug, Clone, Copy)]
pub struct ProcessSample {
    /// User plus system CPU time so far, in seconds.
    pub cpu_seconds: f64,
    pub rss_bytes: u64,
}

/// Reads a process's counters; `None` reads this process.
pub fn sample(pid: Option<u32>) -> anyhow::Result<ProcessSample> {
    let dir = pid.map_or_else(|| "/proc/self".to_owned(), |pid| format!("/proc/{pid}"));
    let stat = std::fs::read_to_string(format!("{dir}/stat")).context("reading stat")?;
    // The command name may contain spaces; the fields after it are plain numbers.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("malformed stat")?
        .1
        .split_whitespace()
        .collect();
    // After the name: state is field 3, utime field 14 and stime field 15 (man 5 proc).
    let ticks = |index: usize| -> anyhow::Result<f64> {
        Ok(fields
            .get(index - 3)
            .context("short stat")?
            .parse::<f64>()?)
    };
    let cpu_seconds = (ticks(14)? + ticks(15)?) / TICKS_PER_SECOND;
    let status = std::fs::read_to_string(format!("{dir}/status")).context("reading status")?;
    let rss_kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS")?;
    Ok(ProcessSample {
        cpu_seconds,
        rss_bytes: rss_kib * 1024,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_this_process() {
        let sample = super::sample(None).unwrap();
        assert!(sample.rss_bytes > 1024 * 1024);
        assert!(sample.cpu_seconds >= 0.0);
    }
}
