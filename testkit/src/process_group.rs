//! A child process in a process group of its own, killed with everything it started when
//! the handle is dropped: chromedriver's Chromiums (with their renderer and GPU processes)
//! outlived chromedriver when only it was killed.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command};

use rustix::process::{Pid, Signal, kill_process_group};

pub struct ProcessGroup {
    leader: Child,
}

impl ProcessGroup {
    /// Starts `command` as the leader of a new process group.
    pub fn spawn(command: &mut Command) -> std::io::Result<Self> {
        let leader = command.process_group(0).spawn()?;
        Ok(Self { leader })
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        let group = Pid::from_child(&self.leader);
        let _ = kill_process_group(group, Signal::KILL);
        let _ = self.leader.wait();
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader};
    use std::time::{Duration, Instant};

    use super::*;

    /// A shell that starts a long `sleep` of its own and prints its pid: the grandchild.
    fn shell_with_grandchild() -> (ProcessGroup, u32) {
        let mut command = Command::new("sh");
        command
            .args(["-c", "sleep 300 & echo $!; wait"])
            .stdout(std::process::Stdio::piped());
        let mut group = ProcessGroup::spawn(&mut command).expect("sh runs");
        let stdout = group.leader.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("a pid");
        (group, line.trim().parse().expect("a pid"))
    }

    /// Whether `pid` is a live process (a zombie waiting to be reaped is not).
    fn is_running(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| {
                let state = stat.rsplit_once(") ")?.1.chars().next()?;
                Some(state != 'Z' && state != 'X')
            })
            .unwrap_or(false)
    }

    fn ends_soon(pid: u32) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !is_running(pid) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    #[test]
    fn dropping_the_group_ends_what_its_leader_started() {
        let (group, grandchild) = shell_with_grandchild();
        assert!(is_running(grandchild));
        drop(group);
        assert!(
            ends_soon(grandchild),
            "the grandchild {grandchild} outlived its group"
        );
    }

    #[test]
    fn a_panicking_test_leaves_nothing_running() {
        let (sender, receiver) = std::sync::mpsc::channel();
        let panicked = std::thread::spawn(move || {
            let (_group, grandchild) = shell_with_grandchild();
            sender.send(grandchild).expect("the test listens");
            panic!("the test failed");
        })
        .join();
        assert!(panicked.is_err());
        let grandchild = receiver.recv().expect("a pid");
        assert!(
            ends_soon(grandchild),
            "the grandchild {grandchild} outlived a panic"
        );
    }
}
