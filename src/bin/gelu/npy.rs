//! Just enough of the .npy format: C-order float32/float64 arrays in, float32 out.

use std::io::Write;
use std::path::Path;

/// A C-order array of any shape, values widened to f64.
pub struct Array {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

const MAGIC: &[u8] = b"\x93NUMPY";

/// Reads a .npy file of float32 or float64 (either byte order), C order.
pub fn read(path: &Path) -> Result<Array, String> {
    let name = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {name}: {e}"))?;
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(format!("{name} is not a .npy file"));
    }
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(format!("{name}: unsupported .npy version {v}")),
    };
    let header = bytes
        .get(start..start + header_len)
        .ok_or_else(|| format!("{name} is truncated (its header is cut off)"))?;
    let header =
        std::str::from_utf8(header).map_err(|_| format!("{name}: the header is not text"))?;
    let descr = field(header, "descr")
        .and_then(|v| v.strip_prefix('\'').and_then(|v| v.split('\'').next()))
        .ok_or_else(|| format!("{name}: the header has no dtype"))?;
    let (size, big_endian) = match descr {
        "<f4" | "|f4" | "=f4" => (4, false),
        ">f4" => (4, true),
        "<f8" | "|f8" | "=f8" => (8, false),
        ">f8" => (8, true),
        other => {
            return Err(format!(
                "{name}: dtype '{other}' is not supported (float32 or float64 only)"
            ))
        }
    };
    match field(header, "fortran_order")
        .map(|v| v.split(|c: char| !c.is_alphabetic()).next().unwrap_or(""))
    {
        Some("False") => {}
        Some("True") => {
            return Err(format!(
                "{name} is in Fortran order; save it C-ordered (numpy.ascontiguousarray)"
            ))
        }
        _ => return Err(format!("{name}: the header has no fortran_order")),
    }
    let shape = field(header, "shape")
        .and_then(|v| v.strip_prefix('('))
        .and_then(|v| v.split(')').next())
        .ok_or_else(|| format!("{name}: the header has no shape"))?;
    let shape: Vec<usize> = shape
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| format!("{name}: bad shape entry '{s}'"))
        })
        .collect::<Result<_, _>>()?;
    let count = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| format!("{name}: the shape is too large"))?;
    let body = &bytes[start + header_len..];
    let need = count
        .checked_mul(size)
        .ok_or_else(|| format!("{name}: the shape is too large"))?;
    if body.len() < need {
        return Err(format!(
            "{name} is truncated: {need} bytes of data expected, {} found",
            body.len()
        ));
    }
    let data = body[..need]
        .chunks_exact(size)
        .map(|c| match (size, big_endian) {
            (4, false) => f32::from_le_bytes(c.try_into().expect("4 bytes")) as f64,
            (4, true) => f32::from_be_bytes(c.try_into().expect("4 bytes")) as f64,
            (_, false) => f64::from_le_bytes(c.try_into().expect("8 bytes")),
            (_, true) => f64::from_be_bytes(c.try_into().expect("8 bytes")),
        })
        .collect();
    Ok(Array { shape, data })
}

/// The text after `'key':` in a header dict.
fn field<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let at = header.find(&format!("'{key}'"))?;
    let rest = &header[at + key.len() + 2..];
    Some(rest.trim_start().strip_prefix(':')?.trim_start())
}

/// Writes a float32 .npy file, all or nothing: the data goes to a temporary file
/// beside the target, renamed over it only once complete.
pub fn write_f32(path: &Path, shape: &[usize], data: &[f32]) -> Result<(), String> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_text = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape_text}, }}");
    // Pad with spaces and a newline so the data starts on a 64-byte boundary.
    while !(MAGIC.len() + 4 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = Vec::with_capacity(MAGIC.len() + 4 + header.len() + data.len() * 4);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&[1, 0]);
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in data {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    let name = path.display();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .ok_or_else(|| format!("{name} is not a file name"))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(&bytes)?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|_| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("cannot write {name}: {e}"));
    }
    Ok(())
}
