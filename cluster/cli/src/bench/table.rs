//! Aligned text tables for the bench's reports.

use std::fmt::Write as _;

/// How the cells of a column line up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Align {
    /// Padded on the right (text).
    Left,
    /// Padded on the left (numbers).
    Right,
    /// Not padded: free text in the last column.
    Free,
}

/// `header` and `rows` as lines of columns two spaces apart, each column as
/// wide as its widest cell.
pub(crate) fn aligned<const N: usize>(
    header: [&str; N],
    rows: &[[String; N]],
    align: [Align; N],
) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: [&str; N]| {
        for (i, ((cell, w), align)) in cells.iter().zip(widths).zip(align).enumerate() {
            let gap = if i == 0 { "" } else { "  " };
            match align {
                Align::Left => write!(out, "{gap}{cell:<w$}"),
                Align::Right => write!(out, "{gap}{cell:>w$}"),
                Align::Free => write!(out, "{gap}{cell}"),
            }
            .expect("writing to a String");
        }
        out.push('\n');
    };
    line(header);
    for row in rows {
        line(row.each_ref().map(String::as_str));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let rows = [
            ["heap".to_owned(), "1".to_owned(), "ok".to_owned()],
            [
                "rocksdb".to_owned(),
                "1000".to_owned(),
                "fine too".to_owned(),
            ],
        ];
        let text = aligned(
            ["state", "n", "note"],
            &rows,
            [Align::Left, Align::Right, Align::Free],
        );
        assert_eq!(
            text,
            "state       n  note\n\
             heap        1  ok\n\
             rocksdb  1000  fine too\n"
        );
    }
}
