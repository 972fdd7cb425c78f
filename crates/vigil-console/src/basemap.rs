//! What is under everything else on the map. The vector basemap (roads, rivers, villages, fields
//! from a GeoJSON file: the demo area's is built in) works with no network and nothing installed;
//! raster tiles come from a local `z/x/y` folder (read by a background thread, never the UI
//! thread) or from an XYZ server through walkers, which caches them on disk for the next offline
//! shift.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use eframe::egui;
use walkers::sources::Attribution;
use walkers::{HttpOptions, HttpTiles, Tile, TileId, TilePiece, Tiles};

use super::ConsoleError;
use vigil_console_files::BasemapError;

pub use vigil_console_files::{BaseFeature, DEMO_AREA_GEOJSON, FeatureKind, VectorBasemap};

/// Reading the vector basemap from a file (a trait because [`VectorBasemap`] itself lives in
/// `vigil_console_files`, which builds without the console for the fuzz targets).
pub trait BasemapFile: Sized {
    fn load(path: &Path) -> Result<Self, ConsoleError>;
}

impl BasemapFile for VectorBasemap {
    fn load(path: &Path) -> Result<Self, ConsoleError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConsoleError::Io {
            path: path.to_owned(),
            error,
        })?;
        Ok(Self::parse(&text, &path.display().to_string())?)
    }
}

impl From<BasemapError> for ConsoleError {
    fn from(e: BasemapError) -> Self {
        Self::Basemap {
            origin: e.origin,
            at: e.at,
            problem: e.problem,
        }
    }
}

/// Requests in flight to the tile loader; when full, the frame asks again later.
const TILE_REQUEST_CAPACITY: usize = 64;
/// Decoded tiles waiting for the UI thread to upload them as textures.
const TILE_RESULT_CAPACITY: usize = 64;

/// Decoded tiles kept as textures (256 × 256 RGBA: 256 KiB each, 64 MiB in all); beyond it
/// the least recently drawn go, and are read again if they come back into view.
pub const TILE_CACHE_CAPACITY: usize = 256;

/// Tiles from a local `z/x/y.png|jpg` folder. Files are read and decoded by `vigil-tiles`; the UI
/// thread only uploads finished images. Missing zoom levels are drawn from the nearest lower
/// zoom level that exists (over-zoomed).
pub struct FolderTiles {
    /// Each tile (`None` while it loads or when it could not be read) and when it was last
    /// asked for; bounded by [`TILE_CACHE_CAPACITY`] (a least-recently-used cache written
    /// here: a scan of 256 entries when one must go costs less than a crate).
    cache: HashMap<TileId, (Option<Tile>, u64)>,
    /// Counts lookups, as the cache's clock.
    uses: u64,
    requests: Sender<TileId>,
    results: Receiver<(TileId, Option<egui::ColorImage>)>,
    ctx: egui::Context,
    max_zoom: u8,
    thread: Option<JoinHandle<()>>,
    pub load_errors: u64,
}

impl FolderTiles {
    pub fn open(root: &Path, ctx: egui::Context) -> Result<Self, ConsoleError> {
        let levels: Vec<u8> = std::fs::read_dir(root)
            .map_err(|error| ConsoleError::Io {
                path: root.to_owned(),
                error,
            })?
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        let max_zoom = levels
            .iter()
            .copied()
            .max()
            .ok_or_else(|| ConsoleError::Basemap {
                origin: root.display().to_string(),
                at: "top folder".into(),
                problem: "no zoom-level folders (0, 1, …) found: expected z/x/y.png".into(),
            })?;
        let (requests, request_rx) = bounded::<TileId>(TILE_REQUEST_CAPACITY);
        let (result_tx, results) = bounded(TILE_RESULT_CAPACITY);
        let root: PathBuf = root.to_owned();
        let repaint = ctx.clone();
        let thread = std::thread::Builder::new()
            .name("vigil-tiles".into())
            .spawn(move || {
                for id in request_rx {
                    let image = load_tile(&root, id);
                    if result_tx.send((id, image)).is_err() {
                        break;
                    }
                    repaint.request_repaint();
                }
            })
            .map_err(|error| ConsoleError::Io {
                path: PathBuf::from("vigil-tiles thread"),
                error,
            })?;
        Ok(Self {
            cache: HashMap::new(),
            uses: 0,
            requests,
            results,
            ctx,
            max_zoom,
            thread: Some(thread),
            load_errors: 0,
        })
    }

    fn drain(&mut self) {
        while let Ok((id, image)) = self.results.try_recv() {
            let tile = image.map(|image| {
                Tile::Raster(self.ctx.load_texture(
                    format!("tile-{}-{}-{}", id.zoom, id.x, id.y),
                    image,
                    egui::TextureOptions::LINEAR,
                ))
            });
            if tile.is_none() {
                self.load_errors += 1;
            }
            self.insert(id, tile);
        }
    }

    fn insert(&mut self, id: TileId, tile: Option<Tile>) {
        if self.cache.len() >= TILE_CACHE_CAPACITY
            && !self.cache.contains_key(&id)
            && let Some(oldest) = self
                .cache
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(id, _)| *id)
        {
            self.cache.remove(&oldest);
        }
        self.cache.insert(id, (tile, self.uses));
    }

    fn get(&mut self, id: TileId) -> Option<Option<Tile>> {
        self.uses += 1;
        let now = self.uses;
        match self.cache.get_mut(&id) {
            Some((tile, used)) => {
                *used = now;
                Some(tile.clone())
            }
            None => {
                match self.requests.try_send(id) {
                    // Marked as pending: `None` inside until the loader answers.
                    Ok(()) => self.insert(id, None),
                    Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {}
                }
                None
            }
        }
    }

    /// Tiles held (textures and pending loads).
    pub fn cached(&self) -> usize {
        self.cache.len()
    }
}

impl Drop for FolderTiles {
    fn drop(&mut self) {
        // Closing the request channel ends the loader.
        let (dead, _) = bounded(1);
        self.requests = dead;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn load_tile(root: &Path, id: TileId) -> Option<egui::ColorImage> {
    let base = root
        .join(id.zoom.to_string())
        .join(id.x.to_string())
        .join(id.y.to_string());
    let bytes = ["png", "jpg", "jpeg", "webp"]
        .iter()
        .find_map(|ext| std::fs::read(base.with_extension(ext)).ok())?;
    let image = image::load_from_memory(&bytes).ok()?.to_rgba8();
    let size = [image.width() as usize, image.height() as usize];
    Some(egui::ColorImage::from_rgba_unmultiplied(
        size,
        image.as_flat_samples().as_slice(),
    ))
}

impl Tiles for FolderTiles {
    fn at(&mut self, tile_id: TileId) -> Option<TilePiece> {
        self.drain();
        // From the requested zoom down: the first tile that exists, cut to the right quarter.
        let mut zoom = tile_id.zoom.min(self.max_zoom);
        loop {
            let shift = tile_id.zoom - zoom;
            let id = TileId {
                x: tile_id.x >> shift,
                y: tile_id.y >> shift,
                zoom,
            };
            if let Some(Some(tile)) = self.get(id) {
                let n = (1u32 << shift) as f32;
                let (dx, dy) = (
                    (tile_id.x - (id.x << shift)) as f32,
                    (tile_id.y - (id.y << shift)) as f32,
                );
                let uv = egui::Rect::from_min_max(
                    egui::pos2(dx / n, dy / n),
                    egui::pos2((dx + 1.0) / n, (dy + 1.0) / n),
                );
                return Some(TilePiece::new(tile, uv));
            }
            if zoom == 0 || shift >= 6 {
                return None;
            }
            zoom -= 1;
        }
    }

    fn attribution(&self) -> Attribution {
        Attribution {
            text: "Local tiles",
            url: "",
            logo_light: None,
            logo_dark: None,
        }
    }

    fn tile_size(&self) -> u32 {
        256
    }
}

/// An XYZ server given by a URL template.
struct XyzSource {
    template: String,
}

impl walkers::sources::TileSource for XyzSource {
    fn tile_url(&self, id: TileId) -> String {
        self.template
            .replace("{z}", &id.zoom.to_string())
            .replace("{x}", &id.x.to_string())
            .replace("{y}", &id.y.to_string())
    }

    fn attribution(&self) -> Attribution {
        Attribution {
            text: "Tile server (see its terms of use)",
            url: "",
            logo_light: None,
            logo_dark: None,
        }
    }
}

/// Tiles from an XYZ server, cached on disk under `cache_dir` (one folder per server) so an
/// area viewed once is there offline; `None` caches in memory only.
pub fn server_tiles(
    template: &str,
    cache_dir: Option<&Path>,
    ctx: egui::Context,
) -> Result<HttpTiles, ConsoleError> {
    if !(template.contains("{z}") && template.contains("{x}") && template.contains("{y}")) {
        return Err(ConsoleError::Basemap {
            origin: template.to_owned(),
            at: "URL".into(),
            problem: "a tile URL needs {z}, {x} and {y}".into(),
        });
    }
    // reqwest is built without a crypto provider; ring is ours. Installing twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let options = HttpOptions {
        cache: cache_dir.map(|d| d.join(cache_folder_name(template))),
        ..HttpOptions::default()
    };
    Ok(HttpTiles::with_options(
        XyzSource {
            template: template.to_owned(),
        },
        options,
        ctx,
    ))
}

/// One cache folder per server, named from its host so two servers never mix tiles.
fn cache_folder_name(template: &str) -> String {
    let host = template
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or(template);
    host.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_basemap_parses_with_every_feature() {
        let map = VectorBasemap::parse(DEMO_AREA_GEOJSON, "area").unwrap();
        assert!(map.features.len() >= 39, "{}", map.features.len());
        let (a, b, c, d) = map.bounds_deg.unwrap();
        assert!(a < c && b < d);
        assert!(map.features.iter().any(|f| f.kind == FeatureKind::Road));
        assert!(
            map.features
                .iter()
                .any(|f| f.kind == FeatureKind::Settlement)
        );
    }

    #[test]
    fn a_bad_feature_is_named() {
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"name":"ok"},"geometry":{"type":"Point","coordinates":[30,10]}},
            {"type":"Feature","properties":{"name":"Bridge"},"geometry":{"type":"LineString","coordinates":[[30,10],[30,"x"]]}}]}"#;
        let err = VectorBasemap::parse(text, "area.geojson")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("area.geojson") && err.contains("feature 1 (Bridge)"),
            "{err}"
        );
        let err = VectorBasemap::parse("{\"features\": [", "f.geojson")
            .unwrap_err()
            .to_string();
        assert!(err.contains("f.geojson") && err.contains("line 1"), "{err}");
    }

    #[test]
    fn server_urls_need_placeholders_and_get_their_own_cache() {
        assert!(
            server_tiles(
                "https://tiles.example/{z}/{x}.png",
                None,
                egui::Context::default()
            )
            .is_err()
        );
        assert_eq!(
            cache_folder_name("https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
            "tile.openstreetmap.org"
        );
    }

    #[test]
    fn folder_tiles_load_in_the_background_and_overzoom() {
        let dir = tempfile::tempdir().unwrap();
        let tile_dir = dir.path().join("3/4");
        std::fs::create_dir_all(&tile_dir).unwrap();
        let img = image::RgbaImage::from_pixel(256, 256, image::Rgba([10, 200, 30, 255]));
        img.save(tile_dir.join("2.png")).unwrap();
        let ctx = egui::Context::default();
        let mut tiles = FolderTiles::open(dir.path(), ctx).unwrap();
        let want = TileId {
            x: 9,
            y: 5,
            zoom: 4,
        }; // inside 3/4/2
        let mut piece = None;
        for _ in 0..200 {
            piece = tiles.at(want);
            if piece.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let piece = piece.expect("the tile arrives");
        assert_eq!(piece.uv.min, egui::pos2(0.5, 0.5));
        assert!(
            tiles
                .at(TileId {
                    x: 0,
                    y: 0,
                    zoom: 3
                })
                .is_none()
        );
        assert!(FolderTiles::open(&dir.path().join("nothing"), egui::Context::default()).is_err());
    }

    #[test]
    fn the_tile_cache_keeps_the_recently_drawn_and_stays_bounded() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("10")).unwrap();
        let mut tiles = FolderTiles::open(dir.path(), egui::Context::default()).unwrap();
        let keep = TileId {
            x: 0,
            y: 0,
            zoom: 10,
        };
        // Far more tiles than the cache holds (none exists: each is a pending or failed load).
        for i in 0..(3 * TILE_CACHE_CAPACITY as u32) {
            tiles.at(keep);
            tiles.at(TileId {
                x: i + 1,
                y: 7,
                zoom: 10,
            });
            std::thread::sleep(std::time::Duration::from_micros(50));
        }
        assert!(
            tiles.cached() <= TILE_CACHE_CAPACITY,
            "{} tiles held",
            tiles.cached()
        );
        assert!(
            tiles.cache.contains_key(&keep),
            "the tile drawn every frame stays"
        );
    }
}
