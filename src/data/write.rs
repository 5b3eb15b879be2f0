//! Writing a frame as CSV or Parquet atomically (through `files`): readers see the old file or
//! the new one, never half of it. Batch predictions and forecasts are written here.

use std::path::Path;

use polars::prelude::*;

use super::DataFormat;

/// Writes `frame` to `path` as `format`; why not, in words, with nothing written.
pub fn write_frame(frame: &mut DataFrame, path: &Path, format: DataFormat) -> Result<(), String> {
    let mut failure = None;
    let written = crate::files::write_atomically(path, |writer| {
        let result = match format {
            DataFormat::Csv => CsvWriter::new(writer).finish(frame),
            DataFormat::Parquet => ParquetWriter::new(writer).finish(frame).map(|_| ()),
        };
        result.map_err(|e| {
            failure = Some(e.to_string());
            std::io::Error::other("polars could not write the frame")
        })
    });
    match (written, failure) {
        (Ok(()), _) => Ok(()),
        (Err(_), Some(reason)) => Err(format!(
            "writing {}: {reason}; nothing written",
            path.display()
        )),
        (Err(e), None) => Err(format!("writing {}: {e}; nothing written", path.display())),
    }
}
