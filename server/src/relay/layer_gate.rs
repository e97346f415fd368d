//! One viewer's rule for a layered video stream (VP8 with temporal layers): which chunks it
//! is sent, so that it never receives a delta its decoder cannot decode, and a viewer that
//! falls behind loses the highest layer first (fewer frames a second) instead of the picture.
//!
//! A chunk of temporal layer `t` depends only on chunks of layers up to `t` since its
//! keyframe. So a viewer holds a *chain*: the keyframe it was sent and the highest layer of
//! which it was sent every chunk since. A chunk is sent only if it belongs to that keyframe
//! and layer; passing over a chunk of layer `t` lowers the chain to `t − 1` until the next
//! keyframe, and passing over a base-layer chunk ends the chain: the viewer waits for the
//! next keyframe (and asks for one). Without knowing the encoder's reference pattern, a
//! keyframe is the only safe point to step back up, one layer per clean keyframe interval.
//!
//! A viewer that joins mid-stream is sent the cached keyframe and the base-layer chunks
//! since (a picture at once, a small burst), then everything from the next keyframe on.

/// A chunk as the gate sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkMark {
    /// 1, 2, 3… in the order the room's channel published it.
    pub number: u64,
    /// The number of the keyframe it depends on (its own, for a keyframe).
    pub key_number: u64,
    pub layer: u8,
    /// The stream's highest layer (temporal layers − 1).
    pub top_layer: u8,
}

impl ChunkMark {
    pub fn is_key(&self) -> bool {
        self.number == self.key_number
    }
}

/// How many chunks above the base layer may wait for a viewer before it drops a layer.
const WAITING_BEFORE_A_LAYER_DROPS: usize = 1;
/// How many base-layer chunks may wait for a viewer (about a second at 2.5 fps) before it
/// gives up on them and waits for the next keyframe.
const BASE_CHUNKS_WAITING_AT_MOST: usize = 3;

/// The keyframe a viewer's decoder works from, and the highest layer it has whole since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Chain {
    key_number: u64,
    layer: u8,
}

/// One viewer's state; `Copy`, so that a decision can be tried and kept only if the chunk
/// is really sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerGate {
    /// The newest chunk decided: sent, or passed over for good.
    cursor: u64,
    chain: Option<Chain>,
    /// The highest layer this viewer is allowed now: lowered when it falls behind, raised
    /// by one at each keyframe after an interval without a drop.
    ceiling: u8,
    dropped_since_key: bool,
    /// Chunks up to this number came from the cache on joining: they were all there at
    /// once, so they do not count as falling behind.
    catch_up_to: u64,
}

/// What to do with the chunks waiting for a viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Which of them to send now (an index into the waiting chunks), if any; the ones
    /// before it are passed over.
    pub send: Option<usize>,
    /// The gate once that is done: to keep only if it is done.
    pub after: LayerGate,
    /// The viewer has no chain and no keyframe is waiting: ask the camera for one.
    pub wants_key: bool,
    /// Layers given up because the viewer fell behind.
    pub layers_dropped: u32,
}

impl LayerGate {
    /// A viewer that has been sent nothing yet.
    pub fn new() -> Self {
        Self {
            cursor: 0,
            chain: None,
            ceiling: u8::MAX,
            dropped_since_key: false,
            catch_up_to: 0,
        }
    }

    /// The newest chunk decided.
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// Decides about `waiting`, the chunks newer than the cursor, oldest first, as the
    /// channel holds them; `data_saver` keeps the viewer on the base layer.
    pub fn decide(mut self, waiting: &[ChunkMark], data_saver: bool) -> Decision {
        debug_assert!(waiting.iter().all(|chunk| chunk.number > self.cursor));
        let Some(newest) = waiting.last().map(|c| c.number) else {
            return self.nothing(false, 0);
        };
        // A keyframe supersedes everything before it: the newest one waiting is the start.
        if let Some(at) = waiting.iter().rposition(|chunk| chunk.is_key()) {
            let key = &waiting[at];
            self.start_chain(key, newest, data_saver);
            self.cursor = key.number;
            return Decision {
                send: Some(at),
                after: self,
                wants_key: false,
                layers_dropped: 0,
            };
        }
        let Some(mut chain) = self.chain else {
            self.cursor = newest;
            return self.nothing(true, 0);
        };
        let mut layers_dropped = 0;
        loop {
            let sendable = || {
                waiting.iter().enumerate().filter(move |(_, c)| {
                    c.key_number == chain.key_number && c.layer <= chain.layer
                })
            };
            let behind = sendable()
                .filter(|(_, c)| c.number > self.catch_up_to)
                .count();
            let too_many = if chain.layer == 0 {
                BASE_CHUNKS_WAITING_AT_MOST
            } else {
                WAITING_BEFORE_A_LAYER_DROPS
            };
            if behind > too_many {
                if chain.layer == 0 {
                    // It would fall ever further behind: wait for a fresh keyframe.
                    self.chain = None;
                    self.cursor = newest;
                    return self.nothing(true, layers_dropped);
                }
                chain.layer -= 1;
                self.ceiling = self.ceiling.min(chain.layer);
                self.dropped_since_key = true;
                layers_dropped += 1;
                continue;
            }
            self.chain = Some(chain);
            return match sendable().next() {
                Some((at, chunk)) => {
                    self.cursor = chunk.number;
                    Decision {
                        send: Some(at),
                        after: self,
                        wants_key: false,
                        layers_dropped,
                    }
                }
                None => {
                    self.cursor = newest;
                    self.nothing(false, layers_dropped)
                }
            };
        }
    }

    /// The chunks up to `newest` were dropped from the channel (the stream was cleared)
    /// before this viewer was sent them: its chain is broken, and it waits for a keyframe.
    pub fn lost_up_to(mut self, newest: u64) -> Self {
        self.cursor = self.cursor.max(newest);
        self.chain = None;
        self
    }

    fn nothing(self, wants_key: bool, layers_dropped: u32) -> Decision {
        Decision {
            send: None,
            after: self,
            wants_key,
            layers_dropped,
        }
    }

    /// Starts a chain at `key`. From the cache (chunks after it already waiting), the
    /// viewer catches up on the base layer; live, it steps one layer up if it kept up
    /// since the last keyframe.
    fn start_chain(&mut self, key: &ChunkMark, newest: u64, data_saver: bool) {
        let catching_up = newest > key.number && self.chain.is_none();
        let layer = if catching_up {
            self.catch_up_to = newest;
            0
        } else {
            if !self.dropped_since_key {
                self.ceiling = self.ceiling.saturating_add(1);
            }
            self.ceiling = self.ceiling.min(key.top_layer);
            self.dropped_since_key = false;
            self.ceiling
        };
        self.chain = Some(Chain {
            key_number: key.number,
            layer: if data_saver { 0 } else { layer },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An L1T3 stream from keyframe `key` on: layers 0, 2, 1, 2, 0, 2, 1, 2, …
    fn l1t3(key: u64, count: u64) -> Vec<ChunkMark> {
        (key..key + count)
            .map(|number| ChunkMark {
                number,
                key_number: key,
                layer: [0, 2, 1, 2][((number - key) % 4) as usize],
                top_layer: 2,
            })
            .collect()
    }

    /// Offers each chunk as it arrives, to a viewer that keeps up: the numbers sent.
    fn live(gate: &mut LayerGate, chunks: &[ChunkMark], data_saver: bool) -> Vec<u64> {
        let mut sent = Vec::new();
        for chunk in chunks {
            let decision = gate.decide(std::slice::from_ref(chunk), data_saver);
            *gate = decision.after;
            if decision.send.is_some() {
                sent.push(chunk.number);
            }
        }
        sent
    }

    #[test]
    fn a_viewer_that_keeps_up_gets_every_layer_from_its_first_keyframe() {
        let mut gate = LayerGate::new();
        let before_the_key = ChunkMark {
            number: 1,
            key_number: 0,
            layer: 0,
            top_layer: 2,
        };
        let decision = gate.decide(&[before_the_key], false);
        assert_eq!((decision.send, decision.wants_key), (None, true));
        gate = decision.after;
        assert_eq!(
            live(&mut gate, &l1t3(2, 8), false),
            (2..10).collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_data_saver_sends_the_base_layer_only() {
        let mut gate = LayerGate::new();
        assert_eq!(live(&mut gate, &l1t3(1, 12), true), [1, 5, 9]);
    }

    #[test]
    fn a_late_joiner_gets_the_keyframe_and_the_base_layer_since_then_everything() {
        let cached = l1t3(1, 10);
        let mut gate = LayerGate::new();
        let mut sent = Vec::new();
        loop {
            let waiting: Vec<ChunkMark> = cached
                .iter()
                .filter(|chunk| chunk.number > gate.cursor())
                .copied()
                .collect();
            let decision = gate.decide(&waiting, false);
            gate = decision.after;
            match decision.send {
                Some(index) => sent.push(waiting[index].number),
                None => break,
            }
        }
        assert_eq!(sent, [1, 5, 9], "the keyframe, then layer 0 only");
        let next = l1t3(11, 4);
        assert_eq!(
            live(&mut gate, &next, false),
            [11, 12, 13, 14],
            "whole from the next keyframe"
        );
    }

    #[test]
    fn falling_behind_drops_the_top_layer_then_the_next_never_a_needed_chunk() {
        let stream = l1t3(1, 16);
        let mut gate = LayerGate::new();
        assert_eq!(live(&mut gate, &stream[..2], false), [1, 2]);
        // The socket is slow: chunks 3 (layer 1) and 4 (layer 2) wait together.
        let decision = gate.decide(&stream[2..4], false);
        assert_eq!(decision.layers_dropped, 1, "layer 2 goes");
        assert_eq!(decision.send.map(|i| stream[2 + i].number), Some(3));
        gate = decision.after;
        // Then 5, 6 and 7 wait: layer 1 goes too; only the base layer is sent.
        let decision = gate.decide(&stream[4..7], false);
        assert_eq!(decision.layers_dropped, 1);
        assert_eq!(decision.send.map(|i| stream[4 + i].number), Some(5));
        gate = decision.after;
        assert_eq!(
            live(&mut gate, &stream[7..16], false),
            [9, 13],
            "no chunk above the base layer until the next keyframe"
        );
        // A layer was dropped in the interval before this keyframe, so the viewer stays on
        // the base layer for one more; after each clean interval it steps one layer up.
        assert_eq!(live(&mut gate, &l1t3(17, 4), false), [17]);
        assert_eq!(live(&mut gate, &l1t3(21, 4), false), [21, 23], "layer 1");
        assert_eq!(live(&mut gate, &l1t3(25, 4), false), [25, 26, 27, 28]);
    }

    #[test]
    fn a_viewer_too_far_behind_on_the_base_layer_waits_for_a_keyframe() {
        let stream = l1t3(1, 20);
        let mut gate = LayerGate::new();
        assert_eq!(live(&mut gate, &stream[..1], false), [1]);
        // Four base-layer chunks (5, 9, 13, 17) and the rest wait at once.
        let decision = gate.decide(&stream[1..20], false);
        assert_eq!((decision.send, decision.wants_key), (None, true));
        gate = decision.after;
        assert_eq!(gate.cursor(), 20, "all of it passed over");
        let decision = gate.decide(&l1t3(21, 1), false);
        assert_eq!(decision.send, Some(0), "until a keyframe");
    }

    #[test]
    fn a_chunk_of_another_keyframe_is_never_sent() {
        let mut gate = LayerGate::new();
        assert_eq!(live(&mut gate, &l1t3(1, 2), false), [1, 2]);
        let orphan = ChunkMark {
            number: 3,
            key_number: 0,
            layer: 0,
            top_layer: 2,
        };
        assert_eq!(live(&mut gate, &[orphan], false), Vec::<u64>::new());
    }

    #[test]
    fn a_decision_not_kept_changes_nothing() {
        let gate = LayerGate::new();
        let stream = l1t3(1, 1);
        let decision = gate.decide(&stream, false);
        assert!(decision.send.is_some());
        assert_eq!(
            gate,
            LayerGate::new(),
            "the caller keeps `after` only once it sent"
        );
    }
}
