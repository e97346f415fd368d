//! The camera's settings on the camera page: which camera, its resolution and frame rate
//! (which restart the stream) and the picture quality (which applies at once).

use leptos::prelude::*;
use nido_shared::limits::{MAX_CAMERA_FPS, MIN_CAMERA_FPS};

use crate::i18n::{Text, use_i18n, whole_number};
use crate::media::CameraDevice;

/// The resolutions offered, as width and height.
pub const RESOLUTIONS: [(u32, u32); 3] = [(320, 240), (640, 480), (1280, 720)];
/// The JPEG quality offered, in percent.
const QUALITY_PERCENT: (u32, u32) = (30, 95);

#[component]
pub fn CameraSettings(
    cameras: RwSignal<Vec<CameraDevice>>,
    /// The chosen camera; `None` for the browser's default.
    device: RwSignal<Option<String>>,
    /// An index into [`RESOLUTIONS`].
    resolution: RwSignal<usize>,
    fps: RwSignal<u32>,
    quality: RwSignal<f64>,
) -> impl IntoView {
    let i18n = use_i18n();
    let (lowest, highest) = QUALITY_PERCENT;
    let percent = move || whole_number(quality.get() * 100.0);
    view! {
        <div class="settings">
            <label>
                <span>{move || i18n.t(Text::Camera)}</span>
                <select on:change=move |ev| {
                    let id = event_target_value(&ev);
                    device.set((!id.is_empty()).then_some(id));
                }>
                    <For each=move || cameras.get() key=|c| c.id.clone() let(camera)>
                        <option value=camera.id.clone()
                            selected=move || device.get().as_deref() == Some(camera.id.as_str())>
                            {camera.label.clone()}
                        </option>
                    </For>
                </select>
            </label>
            <label>
                <span>{move || i18n.t(Text::Resolution)}</span>
                <select data-testid="resolution" on:change=move |ev| {
                    if let Ok(index) = event_target_value(&ev).parse::<usize>() {
                        resolution.set(index.min(RESOLUTIONS.len() - 1));
                    }
                }>
                    {RESOLUTIONS.iter().enumerate().map(|(index, (w, h))| view! {
                        <option value=index.to_string() selected=move || resolution.get() == index>
                            {format!("{w} × {h}")}
                        </option>
                    }).collect_view()}
                </select>
            </label>
            <label>
                <span>{move || format!("{}: {}", i18n.t(Text::FrameRate), fps.get())}</span>
                <input type="range" min=MIN_CAMERA_FPS max=MAX_CAMERA_FPS step="1" data-testid="fps-setting"
                    prop:value=move || fps.get().to_string()
                    on:change=move |ev| {
                        if let Ok(value) = event_target_value(&ev).parse::<u32>() {
                            fps.set(value.clamp(MIN_CAMERA_FPS, MAX_CAMERA_FPS));
                        }
                    }/>
            </label>
            <label>
                <span>{move || format!("{}: {} %", i18n.t(Text::Quality), percent())}</span>
                <input type="range" min=lowest max=highest step="5"
                    prop:value=move || percent().to_string()
                    on:input=move |ev| {
                        if let Ok(value) = event_target_value(&ev).parse::<u32>() {
                            quality.set(f64::from(value.clamp(lowest, highest)) / 100.0);
                        }
                    }/>
            </label>
        </div>
    }
}
