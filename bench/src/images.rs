//! The checked-in test pictures the camera sends (see `images/make_images.py`).

use bytes::Bytes;

/// A JPEG the camera sends as every frame of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestImage {
    /// About 20 KB: 640×360.
    Small,
    /// About 50 KB: 960×540, the size the scenarios use.
    Medium,
    /// About 80 KB: 1280×720.
    Large,
}

impl TestImage {
    pub const ALL: [Self; 3] = [Self::Small, Self::Medium, Self::Large];

    pub fn jpeg(self) -> Bytes {
        Bytes::from_static(match self {
            Self::Small => include_bytes!("../images/frame-20k.jpg"),
            Self::Medium => include_bytes!("../images/frame-50k.jpg"),
            Self::Large => include_bytes!("../images/frame-80k.jpg"),
        })
    }
}
