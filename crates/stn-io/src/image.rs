//! PNG and TIFF images in and out: single files, multi-page TIFF, sorted
//! globs of frames stacked along a new axis 0, and `{}` output patterns
//! that write one image per leading index.
//!
//! Grey images are 2-D `(H, W)`; images with several channels (grey+alpha,
//! RGB, RGBA) are `(H, W, C)` with channels last. 8-bit samples are `u8`,
//! 16-bit samples `u16`; TIFF also carries `f32` (and reads the other
//! integer and float sample types the `tiff` crate decodes).
//!
//! Every file is written under a temporary name in its folder and renamed
//! into place when complete; when one frame of a pattern fails, the frames
//! this call already wrote are removed.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use image::codecs::png::{PngDecoder, PngEncoder};
use image::{ExtendedColorType, ImageDecoder, ImageEncoder, ImageError};
use ndarray::{ArrayD, IxDyn};
use tiff::decoder::{Decoder as TiffDecoder, DecodingResult, Limits};
use tiff::encoder::TiffEncoder;
use tiff::encoder::colortype;
use tiff::tags::{PhotometricInterpretation, SampleFormat, Tag};

use crate::{read_error, write_error};
use stn::internals::array::{ArrayRef, DynArray, Element};
use stn::internals::dtype::DType;
use stn::internals::error::{Error, Result};
use stn::internals::error::{IoCause, describe};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Format {
    Png,
    Tiff,
}

impl Format {
    fn of(spec: &str) -> Option<Format> {
        let lower = spec.to_ascii_lowercase();
        if lower.ends_with(".png") {
            Some(Format::Png)
        } else if lower.ends_with(".tif") || lower.ends_with(".tiff") {
            Some(Format::Tiff)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Png => "PNG",
            Format::Tiff => "TIFF",
        }
    }

    fn dtypes(self) -> &'static [DType] {
        match self {
            Format::Png => &[DType::U8, DType::U16],
            Format::Tiff => &[DType::U8, DType::U16, DType::F32],
        }
    }
}

/// True for a path, glob or output pattern naming PNG or TIFF files
/// (`.png`, `.tif`, `.tiff`, any case).
pub fn is_image(spec: &str) -> bool {
    Format::of(spec).is_some()
}

fn has_glob_chars(spec: &str) -> bool {
    spec.contains(['*', '?', '['])
}

/// Reads one PNG or TIFF file, a multi-page TIFF (pages stacked along a
/// new axis 0), or a glob of such files (sorted by path, stacked along a
/// new axis 0).
pub fn read(spec: &str) -> Result<DynArray> {
    Ok(read_channels(spec)?.0)
}

/// `read`, and whether the last axis is colour channels.
pub fn read_channels(spec: &str) -> Result<(DynArray, bool)> {
    let Some(paths) = glob_paths(spec)? else {
        return read_file_channels(Path::new(spec));
    };
    let mut frames = Vec::with_capacity(paths.len());
    let mut channels = false;
    for path in &paths {
        let (a, c) = read_file_channels(path)?;
        channels |= c;
        frames.push(a);
    }
    let stacked = stack(frames, |i, first, this| {
        frame_mismatch(spec, &paths, i, first, this)
    })?;
    Ok((stacked, channels))
}

/// The files a glob names, sorted by path; `None` when `spec` is not a
/// glob but a file name.
pub fn glob_paths(spec: &str) -> Result<Option<Vec<PathBuf>>> {
    if !has_glob_chars(spec) || Path::new(spec).exists() {
        return Ok(None);
    }
    let pattern = glob::glob(spec)
        .map_err(|e| read_error(Path::new(spec), format!("invalid pattern ({e})")))?;
    let mut paths = Vec::new();
    for entry in pattern {
        let path = entry.map_err(|e| {
            let path = e.path().to_path_buf();
            read_error(&path, std::io::Error::from(e))
        })?;
        if path.is_file() {
            paths.push(path);
        }
    }
    if paths.is_empty() {
        return Err(read_error(Path::new(spec), "no files match"));
    }
    paths.sort();
    Ok(Some(paths))
}

/// The error for frame `i` of a glob whose shape or dtype (`this`) differs
/// from the first frame's (`first`).
pub fn frame_mismatch(spec: &str, paths: &[PathBuf], i: usize, first: &str, this: &str) -> Error {
    read_error(
        Path::new(spec),
        format!(
            "`{}` is {} but `{}` is {}; all frames must have the same shape and dtype",
            paths[i].display(),
            this,
            paths[0].display(),
            first
        ),
    )
}

/// Reads one PNG or TIFF file, chosen by its extension.
pub fn read_file(path: &Path) -> Result<DynArray> {
    Ok(read_file_channels(path)?.0)
}

/// Reads one PNG or TIFF file, and says whether its last axis is colour
/// channels (grey + alpha, RGB, RGBA): a multi-page grey TIFF is 3-D too.
pub fn read_file_channels(path: &Path) -> Result<(DynArray, bool)> {
    match Format::of(&path.to_string_lossy()) {
        Some(Format::Png) => read_png(path).map(|a| {
            let c = a.shape().len() == 3;
            (a, c)
        }),
        Some(Format::Tiff) => read_tiff(path),
        None => Err(read_error(path, "not a .png, .tif or .tiff file")),
    }
}

/// `shape dtype`, e.g. `480x640x3 u8`.
fn describe_frame(a: &DynArray) -> String {
    describe_shape(a.shape(), a.dtype())
}

/// `shape dtype`, e.g. `480x640x3 u8`.
pub fn describe_shape(shape: &[usize], dtype: DType) -> String {
    let dims: Vec<String> = shape.iter().map(|n| n.to_string()).collect();
    format!("{} {}", dims.join("x"), dtype.name())
}

/// Stacks frames along a new axis 0; `mismatch(i, first, this)` makes the
/// error for the first frame whose shape or dtype differs from frame 0.
fn stack(frames: Vec<DynArray>, mismatch: impl Fn(usize, &str, &str) -> Error) -> Result<DynArray> {
    let first = &frames[0];
    let (dtype, shape) = (first.dtype(), first.shape().to_vec());
    if let Some(i) = frames
        .iter()
        .position(|f| f.dtype() != dtype || f.shape() != shape.as_slice())
    {
        return Err(mismatch(
            i,
            &describe_frame(first),
            &describe_frame(&frames[i]),
        ));
    }
    let mut full = vec![frames.len()];
    full.extend_from_slice(&shape);
    Ok(stn::with_element_type!(dtype, T => stack_typed::<T>(frames, &full)))
}

fn stack_typed<T: Element>(frames: Vec<DynArray>, shape: &[usize]) -> DynArray {
    let mut data: Vec<T> = Vec::with_capacity(shape.iter().product());
    for f in frames {
        let a = f.into_typed::<T>().expect("frames share one dtype");
        data.extend(a.iter().copied());
    }
    DynArray::from_typed(ArrayD::from_shape_vec(IxDyn(shape), data).expect("stacked size"))
}

/// Shape `(H, W)` for one channel, `(H, W, C)` otherwise.
fn image_shape(height: usize, width: usize, channels: usize) -> Vec<usize> {
    if channels == 1 {
        vec![height, width]
    } else {
        vec![height, width, channels]
    }
}

fn typed_image<T: Element>(shape: Vec<usize>, data: Vec<T>) -> DynArray {
    DynArray::from_typed(ArrayD::from_shape_vec(IxDyn(&shape), data).expect("image size"))
}

fn png_error(e: ImageError) -> std::io::Error {
    match e {
        ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            "the file is truncated".into_io_error()
        }
        ImageError::IoError(e) => e,
        ImageError::Decoding(e) => {
            format!("not a valid PNG file ({})", tidy_png(&e.to_string())).into_io_error()
        }
        ImageError::Limits(e) => format!("the image is too large ({e})").into_io_error(),
        other => other.to_string().into_io_error(),
    }
}

/// The png crate's message without its Rust debug output: the
/// "Format error decoding Png: " prefix goes, and each
/// `ChunkType { type: IDAT, critical: true, .. }` becomes `` `IDAT` ``.
fn tidy_png(detail: &str) -> String {
    let mut s = detail
        .strip_prefix("Format error decoding Png: ")
        .unwrap_or(detail);
    const CHUNK: &str = "ChunkType { type: ";
    let mut out = String::new();
    while let Some(i) = s.find(CHUNK) {
        out.push_str(&s[..i]);
        let rest = &s[i + CHUNK.len()..];
        let name_end = rest.find(", critical").unwrap_or(0);
        out.push('`');
        out.push_str(&rest[..name_end]);
        out.push('`');
        s = rest.find('}').map_or("", |j| &rest[j + 1..]);
    }
    out.push_str(s);
    out.trim_end_matches('.')
        .chars()
        .filter(|c| !c.is_control())
        .collect()
}

fn read_png(path: &Path) -> Result<DynArray> {
    let file = File::open(path).map_err(|e| read_error(path, e))?;
    let decoder = PngDecoder::with_limits(BufReader::new(file), image::Limits::no_limits())
        .map_err(|e| read_error(path, png_error(e)))?;
    let (w, h) = decoder.dimensions();
    let color = decoder.color_type();
    let channels = usize::from(color.channel_count());
    let shape = image_shape(h as usize, w as usize, channels);
    let bytes_per_sample = usize::from(color.bytes_per_pixel()) / channels;
    let limit = super::decode_limit();
    if decoder.total_bytes() > limit {
        return Err(read_error(
            path,
            format!(
                "the image claims {w}x{h} pixels ({} bytes decoded), more than the memory \
                 limit of {limit} bytes (--memory)",
                decoder.total_bytes()
            ),
        ));
    }
    let total = usize::try_from(decoder.total_bytes())
        .map_err(|_| read_error(path, "the image is too large"))?;
    let mut buf = vec![0u8; total];
    decoder
        .read_image(&mut buf)
        .map_err(|e| read_error(path, png_error(e)))?;
    Ok(match bytes_per_sample {
        1 => typed_image(shape, buf),
        2 => {
            // `image` hands 16-bit samples over in native byte order.
            let data = buf
                .chunks_exact(2)
                .map(|b| u16::from_ne_bytes([b[0], b[1]]))
                .collect();
            typed_image::<u16>(shape, data)
        }
        _ => {
            return Err(read_error(
                path,
                format!("unsupported PNG color type {color:?}"),
            ));
        }
    })
}

fn tiff_error(e: tiff::TiffError) -> std::io::Error {
    match e {
        tiff::TiffError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            "the file is truncated".into_io_error()
        }
        tiff::TiffError::IoError(e) => e,
        tiff::TiffError::FormatError(e) => format!("not a valid TIFF file ({e})").into_io_error(),
        tiff::TiffError::UnsupportedError(e) => {
            format!("unsupported TIFF feature ({e})").into_io_error()
        }
        other => other.to_string().into_io_error(),
    }
}

/// A TIFF file's pages (stacked along a new axis 0 when there are
/// several), and whether they have colour channels.
fn read_tiff(path: &Path) -> Result<(DynArray, bool)> {
    let bad = |why: std::io::Error| read_error(path, why);
    let file = File::open(path).map_err(bad)?;
    let mut decoder = TiffDecoder::new(BufReader::new(file))
        .map_err(|e| bad(tiff_error(e)))?
        .with_limits({
            let mut limits = Limits::unlimited();
            let cap = usize::try_from(super::decode_limit()).unwrap_or(usize::MAX);
            limits.decoding_buffer_size = cap;
            limits.intermediate_buffer_size = cap;
            limits
        });
    let mut pages = Vec::new();
    loop {
        pages.push(read_tiff_page(&mut decoder, pages.len()).map_err(|why| read_error(path, why))?);
        if !decoder.more_images() {
            break;
        }
        decoder.next_image().map_err(|e| bad(tiff_error(e)))?;
    }
    let channels = pages[0].shape().len() == 3;
    if pages.len() == 1 {
        return Ok((pages.pop().expect("one page"), channels));
    }
    let stacked = stack(pages, |i, first, this| {
        read_error(
            path,
            format!(
                "page {i} is {this} but page 0 is {first}; all pages must have the same shape and dtype"
            ),
        )
    })?;
    Ok((stacked, channels))
}

fn read_tiff_page<R: std::io::Read + std::io::Seek>(
    decoder: &mut TiffDecoder<R>,
    page: usize,
) -> std::result::Result<DynArray, String> {
    use tiff::ColorType as C;
    let at = |why: String| {
        if page == 0 {
            why
        } else {
            format!("page {page}: {why}")
        }
    };
    let (w, h) = decoder
        .dimensions()
        .map_err(|e| at(describe(&tiff_error(e))))?;
    let color = decoder
        .colortype()
        .map_err(|e| at(describe(&tiff_error(e))))?;
    let (channels, bits) = match color {
        C::Gray(b) => (1, b),
        C::RGB(b) => (3, b),
        C::RGBA(b) => (4, b),
        C::GrayA(b) => (2, b),
        C::Multiband {
            bit_depth,
            num_samples,
        } => (usize::from(num_samples), bit_depth),
        other => {
            return Err(at(format!(
                "unsupported TIFF color type {other:?}; stn reads grey, grey+alpha, RGB and RGBA"
            )));
        }
    };
    if !matches!(bits, 8 | 16 | 32 | 64) {
        return Err(at(format!(
            "{bits}-bit samples are not supported; stn reads 8-, 16-, 32- and 64-bit samples"
        )));
    }
    let shape = image_shape(h as usize, w as usize, channels);
    let expected: usize = shape.iter().product();
    let result = decoder
        .read_image()
        .map_err(|e| at(describe(&tiff_error(e))))?;
    let (len, array) = match result {
        DecodingResult::U8(v) => (v.len(), typed_image(shape.clone(), v)),
        DecodingResult::U16(v) => (v.len(), typed_image(shape.clone(), v)),
        DecodingResult::U32(v) => (v.len(), typed_image(shape.clone(), v)),
        DecodingResult::U64(v) => (v.len(), typed_image(shape.clone(), v)),
        DecodingResult::I8(v) => (v.len(), typed_image(shape.clone(), v)),
        DecodingResult::I16(v) => (v.len(), typed_image(shape.clone(), v)),
        DecodingResult::I32(v) => (v.len(), typed_image(shape.clone(), v)),
        DecodingResult::I64(v) => (v.len(), typed_image(shape.clone(), v)),
        DecodingResult::F32(v) => (v.len(), typed_image(shape.clone(), v)),
        DecodingResult::F64(v) => (v.len(), typed_image(shape.clone(), v)),
        DecodingResult::F16(_) => {
            return Err(at("16-bit float samples are not supported".to_string()));
        }
    };
    debug_assert_eq!(len, expected);
    Ok(array)
}

/// Writes `array` as one image, or one image per index of axis 0 when
/// `spec` contains `{}` (replaced by the zero-padded index).
pub fn write(spec: &str, array: ArrayRef<'_>) -> Result<()> {
    check_write(spec, array.dtype(), array.shape())?;
    if !spec.contains("{}") {
        return write_file(Path::new(spec), &array);
    }
    let n = array.shape()[0];
    let mut written: Vec<PathBuf> = Vec::with_capacity(n);
    for i in 0..n {
        let name = frame_path(spec, i, n);
        if let Err(e) = write_file(&name, &index_axis0(&array, i)) {
            for done in &written {
                let _ = std::fs::remove_file(done);
            }
            return Err(e);
        }
        written.push(name);
    }
    Ok(())
}

/// Checks, before anything is computed, that `spec` (a file name or a
/// `{}` pattern) can hold an array of `dtype` and `shape`.
pub fn check_write(spec: &str, dtype: DType, shape: &[usize]) -> Result<()> {
    let path = Path::new(spec);
    let Some(format) = Format::of(spec) else {
        return Err(write_error(path, "not a .png, .tif or .tiff name"));
    };
    check_dtype(spec, format, dtype)?;
    if !spec.contains("{}") {
        return layout(path, format, shape).map(|_| ());
    }
    if shape.len() < 3 {
        return Err(write_error(
            path,
            format!(
                "a `{{}}` pattern writes one image per index of axis 0, so it needs an array \
                 of at least 3 dimensions, not shape {shape:?}"
            ),
        ));
    }
    if shape[0] == 0 {
        return Err(write_error(
            path,
            format!("the array has no frames (shape {shape:?})"),
        ));
    }
    layout(&frame_path(spec, 0, shape[0]), format, &shape[1..]).map(|_| ())
}

/// The file of frame `i` of `n` for a `{}` pattern: the index zero-padded
/// to the width of the largest.
pub fn frame_path(spec: &str, i: usize, n: usize) -> PathBuf {
    let width = (n.saturating_sub(1)).to_string().len();
    PathBuf::from(spec.replace("{}", &format!("{i:0width$}")))
}

/// Writes one image file (format from its extension) under a temporary
/// name and renames it into place.
pub fn write_file(path: &Path, array: &ArrayRef<'_>) -> Result<()> {
    let spec = path.to_string_lossy();
    let Some(format) = Format::of(&spec) else {
        return Err(write_error(path, "not a .png, .tif or .tiff name"));
    };
    check_dtype(&spec, format, array.dtype())?;
    write_one(path, format, array)
}

fn check_dtype(spec: &str, format: Format, dtype: DType) -> Result<()> {
    if format.dtypes().contains(&dtype) {
        return Ok(());
    }
    let allowed = format.dtypes();
    let names: Vec<&str> = allowed.iter().map(|d| d.name()).collect();
    let list = match names.as_slice() {
        [a, b] => format!("{a} or {b}"),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
        [] => String::new(),
    };
    let why = format!(
        "cannot write {} to `{spec}`: {} holds {list} (cast in the kernel, e.g. `-> u8`)",
        dtype.name(),
        format.name()
    );
    Err(Error::io(why.clone(), why))
}

/// The sub-array at index `i` of axis 0.
fn index_axis0<'a>(a: &ArrayRef<'a>, i: usize) -> ArrayRef<'a> {
    assert!(i < a.shape()[0]);
    let offset = i as isize * a.strides()[0];
    // SAFETY: every element of the sub-array is an element of `a`, which is
    // readable for `'a`.
    unsafe {
        ArrayRef::from_raw(
            a.as_ptr().offset(offset),
            a.dtype(),
            a.shape()[1..].to_vec(),
            a.strides()[1..].to_vec(),
        )
    }
}

/// The elements of `a` in C order, for any strides.
fn samples<T: Element>(a: &ArrayRef<'_>) -> Vec<T> {
    // `typed` hands negative strides to ndarray's `from_shape_ptr`, which
    // refuses them; such views are copied element by element instead.
    if a.strides().iter().all(|&s| s >= 0)
        && let Some(v) = a.typed::<T>()
    {
        return v.iter().copied().collect();
    }
    let owned = a.to_owned().into_typed::<T>().expect("dtype is T's");
    owned.iter().copied().collect()
}

/// How an array maps onto images: pages, height, width, channels.
struct Layout {
    /// Whether axis 0 indexes pages (TIFF only).
    paged: bool,
    pages: usize,
    height: u32,
    width: u32,
    channels: usize,
}

fn layout(path: &Path, format: Format, shape: &[usize]) -> Result<Layout> {
    let (pages, h, w, c) = match *shape {
        [h, w] => (None, h, w, 1),
        [h, w, c] if (1..=4).contains(&c) => (None, h, w, c),
        [p, h, w] if format == Format::Tiff => (Some(p), h, w, 1),
        [p, h, w, c] if format == Format::Tiff && (1..=4).contains(&c) => (Some(p), h, w, c),
        _ => {
            let more = match format {
                Format::Png => "; to write a stack, use a pattern like `out/{}.png` or a .tif file",
                Format::Tiff => "",
            };
            return Err(write_error(
                path,
                format!(
                    "a {} image is a 2-D (H, W) or 3-D (H, W, C) array with 1 to 4 channels, \
                     not shape {shape:?}{more}",
                    format.name()
                ),
            ));
        }
    };
    if h == 0 || w == 0 || pages == Some(0) {
        return Err(write_error(
            path,
            format!("cannot write an empty image (shape {shape:?})"),
        ));
    }
    let too_big = |_| write_error(path, format!("the image is too large (shape {shape:?})"));
    Ok(Layout {
        paged: pages.is_some(),
        pages: pages.unwrap_or(1),
        height: u32::try_from(h).map_err(too_big)?,
        width: u32::try_from(w).map_err(too_big)?,
        channels: c,
    })
}

/// Writes one file under a temporary name and renames it into place.
fn write_one(path: &Path, format: Format, array: &ArrayRef<'_>) -> Result<()> {
    let bad = |why: std::io::Error| write_error(path, why);
    if path.is_dir() {
        return Err(write_error(path, "it is a directory"));
    }
    let layout = layout(path, format, array.shape())?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let suffix = match format {
        Format::Png => ".png.part",
        Format::Tiff => ".tif.part",
    };
    let temp = crate::temp_file_in(&dir, ".stn-", suffix).map_err(bad)?;
    let mut out = BufWriter::new(temp.as_file());
    match format {
        Format::Png => write_png(&mut out, array, &layout).map_err(|e| bad(png_error(e)))?,
        Format::Tiff => write_tiff(&mut out, array, &layout).map_err(|e| bad(tiff_error(e)))?,
    }
    out.flush().map_err(bad)?;
    drop(out);
    temp.persist(path).map_err(|e| bad(e.error))?;
    Ok(())
}

fn write_png<W: Write>(out: W, array: &ArrayRef<'_>, l: &Layout) -> image::ImageResult<()> {
    use ExtendedColorType as E;
    let encoder = PngEncoder::new(out);
    match array.dtype() {
        DType::U8 => {
            let color = [E::L8, E::La8, E::Rgb8, E::Rgba8][l.channels - 1];
            encoder.write_image(&samples::<u8>(array), l.width, l.height, color)
        }
        DType::U16 => {
            let color = [E::L16, E::La16, E::Rgb16, E::Rgba16][l.channels - 1];
            // `image` takes 16-bit samples in native byte order.
            let bytes: Vec<u8> = samples::<u16>(array)
                .iter()
                .flat_map(|v| v.to_ne_bytes())
                .collect();
            encoder.write_image(&bytes, l.width, l.height, color)
        }
        other => unreachable!("dtype {other:?} was checked"),
    }
}

/// Grey with an alpha channel: `tiff` has no encoder color type for it.
struct GrayAlpha<T>(std::marker::PhantomData<T>);

macro_rules! gray_alpha {
    ($t:ty, $bits:expr, $format:expr) => {
        impl colortype::ColorType for GrayAlpha<$t> {
            type Inner = $t;
            const TIFF_VALUE: PhotometricInterpretation = PhotometricInterpretation::BlackIsZero;
            const BITS_PER_SAMPLE: &'static [u16] = &[$bits, $bits];
            const SAMPLE_FORMAT: &'static [SampleFormat] = &[$format, $format];
            fn horizontal_predict(_: &[Self::Inner], _: &mut Vec<Self::Inner>) {
                unreachable!("stn writes TIFF without a predictor")
            }
        }
    };
}
gray_alpha!(u8, 8, SampleFormat::Uint);
gray_alpha!(u16, 16, SampleFormat::Uint);
gray_alpha!(f32, 32, SampleFormat::IEEEFP);

fn write_tiff<W: Write + std::io::Seek>(
    out: W,
    array: &ArrayRef<'_>,
    l: &Layout,
) -> tiff::TiffResult<()> {
    use colortype as ct;
    let mut encoder = TiffEncoder::new(out)?;
    let pages: Vec<ArrayRef<'_>> = if l.paged {
        (0..l.pages).map(|i| index_axis0(array, i)).collect()
    } else {
        vec![array.clone()]
    };
    for page in &pages {
        let (w, h) = (l.width, l.height);
        match (array.dtype(), l.channels) {
            (DType::U8, 1) => encoder.write_image::<ct::Gray8>(w, h, &samples(page))?,
            (DType::U8, 2) => page_with_alpha::<_, GrayAlpha<u8>>(&mut encoder, l, page)?,
            (DType::U8, 3) => encoder.write_image::<ct::RGB8>(w, h, &samples(page))?,
            (DType::U8, 4) => encoder.write_image::<ct::RGBA8>(w, h, &samples(page))?,
            (DType::U16, 1) => encoder.write_image::<ct::Gray16>(w, h, &samples(page))?,
            (DType::U16, 2) => page_with_alpha::<_, GrayAlpha<u16>>(&mut encoder, l, page)?,
            (DType::U16, 3) => encoder.write_image::<ct::RGB16>(w, h, &samples(page))?,
            (DType::U16, 4) => encoder.write_image::<ct::RGBA16>(w, h, &samples(page))?,
            (DType::F32, 1) => encoder.write_image::<ct::Gray32Float>(w, h, &samples(page))?,
            (DType::F32, 2) => page_with_alpha::<_, GrayAlpha<f32>>(&mut encoder, l, page)?,
            (DType::F32, 3) => encoder.write_image::<ct::RGB32Float>(w, h, &samples(page))?,
            (DType::F32, 4) => encoder.write_image::<ct::RGBA32Float>(w, h, &samples(page))?,
            other => unreachable!("dtype and channels {other:?} were checked"),
        }
    }
    Ok(())
}

/// Writes a grey+alpha page, marking the second sample as alpha.
fn page_with_alpha<W, C>(
    encoder: &mut TiffEncoder<W>,
    l: &Layout,
    page: &ArrayRef<'_>,
) -> tiff::TiffResult<()>
where
    W: Write + std::io::Seek,
    C: colortype::ColorType,
    C::Inner: Element,
    [C::Inner]: tiff::encoder::TiffValue,
{
    let mut image = encoder.new_image::<C>(l.width, l.height)?;
    // 2 = unassociated alpha.
    image.encoder().write_tag(Tag::ExtraSamples, 2u16)?;
    image.write_data(&samples::<C::Inner>(page))
}
