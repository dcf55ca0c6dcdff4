//! Which files a file source reads, and which of them a subtask takes.

use std::fs;
use std::path::{Path, PathBuf};

use crate::{ConnectorError, Result};

/// The files under `path`: the file itself, or the regular files directly in
/// the folder, in name order. Names starting with `.` are left out (editor
/// and system leftovers) and so are subfolders.
pub(crate) fn list_files(id: &str, path: &Path) -> Result<Vec<PathBuf>> {
    let io_error = |path: &Path, source| ConnectorError::SourceIo {
        id: id.to_owned(),
        path: path.to_owned(),
        source,
    };
    let meta = fs::metadata(path).map_err(|e| io_error(path, e))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files = Vec::new();
    for entry in fs::read_dir(path).map_err(|e| io_error(path, e))? {
        let entry = entry.map_err(|e| io_error(path, e))?;
        if entry.file_name().as_encoded_bytes().starts_with(b".") {
            continue;
        }
        let file = entry.path();
        // `fs::metadata` follows symlinks, so a link to a file is read.
        if fs::metadata(&file)
            .map_err(|e| io_error(&file, e))?
            .is_file()
        {
            files.push(file);
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_lists_its_visible_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.txt", "a.txt", "c10", "c2", ".hidden"] {
            fs::write(dir.path().join(name), "x\n").unwrap();
        }
        fs::create_dir(dir.path().join("sub")).unwrap();
        let names: Vec<_> = list_files("src", dir.path())
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["a.txt", "b.txt", "c10", "c2"]);
    }

    #[test]
    fn a_file_lists_itself() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("in.txt");
        fs::write(&file, "x\n").unwrap();
        assert_eq!(list_files("src", &file).unwrap(), [file]);
    }

    #[test]
    fn a_missing_path_names_the_source_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let err = list_files("clicks", &missing).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("source clicks"), "{text}");
        assert!(text.contains("nope"), "{text}");
    }
}
