//! The picture's way through the browser: the camera's capture and encoders (`capture`,
//! `chunk_encoder`), the viewer's decoders and painter (`chunk_decoder`, `frame_painter`) with
//! the family's watermark (`watermark`), and what this browser's WebCodecs can do
//! (`support`).

#[cfg(feature = "staff-pages")]
pub mod capture;
pub mod chunk_decoder;
#[cfg(feature = "staff-pages")]
pub mod chunk_encoder;
pub mod frame_painter;
pub mod support;
pub mod watermark;
