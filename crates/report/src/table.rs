//! Column tables: every plotted series is one, written as CSV so a chart can be redrawn from the
//! export alone. Numbers use Rust's shortest round-trip formatting, so parsing a cell gives back the
//! exact `f64` that was drawn; a missing value is an empty cell.

use crate::ReportError;

/// One column.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Numbers (NaN is written as an empty cell).
    Num(Vec<f64>),
    /// Text (quoted when it contains a comma or a quote).
    Text(Vec<String>),
    /// Booleans (`true` / `false`).
    Bool(Vec<bool>),
}

impl Column {
    fn len(&self) -> usize {
        match self {
            Column::Num(v) => v.len(),
            Column::Text(v) => v.len(),
            Column::Bool(v) => v.len(),
        }
    }
    fn cell(&self, i: usize) -> String {
        match self {
            Column::Num(v) => {
                if v[i].is_finite() {
                    format!("{}", v[i])
                } else {
                    String::new()
                }
            }
            Column::Text(v) => {
                let s = &v[i];
                if s.contains([',', '"', '\n']) {
                    format!("\"{}\"", s.replace('"', "\"\""))
                } else {
                    s.clone()
                }
            }
            Column::Bool(v) => v[i].to_string(),
        }
    }
}

/// A named table of equal-length columns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Column names (units in the name) and values, in output order.
    pub columns: Vec<(String, Column)>,
}

impl Table {
    /// Append a number column.
    pub fn num(&mut self, name: impl Into<String>, v: Vec<f64>) -> &mut Self {
        self.columns.push((name.into(), Column::Num(v)));
        self
    }
    /// Append a text column.
    pub fn text(&mut self, name: impl Into<String>, v: Vec<String>) -> &mut Self {
        self.columns.push((name.into(), Column::Text(v)));
        self
    }
    /// Append a boolean column.
    pub fn bool(&mut self, name: impl Into<String>, v: Vec<bool>) -> &mut Self {
        self.columns.push((name.into(), Column::Bool(v)));
        self
    }
    /// Rows (length of the first column).
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |(_, c)| c.len())
    }
    /// A number column by name.
    pub fn get_num(&self, name: &str) -> Option<&[f64]> {
        self.columns.iter().find_map(|(n, c)| match c {
            Column::Num(v) if n == name => Some(v.as_slice()),
            _ => None,
        })
    }

    /// The table as CSV (header line, `\n` line ends).
    ///
    /// # Errors
    /// [`ReportError::Empty`] when the columns differ in length (a bug in the caller).
    pub fn to_csv(&self) -> Result<String, ReportError> {
        let n = self.rows();
        if let Some((name, _)) = self.columns.iter().find(|(_, c)| c.len() != n) {
            return Err(ReportError::Empty(format!(
                "column {name} has a different length than the others"
            )));
        }
        let mut s = self
            .columns
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(",");
        s.push('\n');
        for i in 0..n {
            let line: Vec<String> = self.columns.iter().map(|(_, c)| c.cell(i)).collect();
            s.push_str(&line.join(","));
            s.push('\n');
        }
        Ok(s)
    }
}

impl Table {
    /// Read a CSV written by [`Table::to_csv`] back into a table: a column whose cells are all
    /// `true`/`false` is boolean, one whose cells all parse as numbers (or are empty: NaN) is
    /// numeric, anything else is text. Numbers come back bit for bit.
    pub fn from_csv(text: &str) -> Table {
        let (header, rows) = parse_csv(text);
        let mut t = Table::default();
        for (j, name) in header.iter().enumerate() {
            let cells: Vec<&str> = rows
                .iter()
                .map(|r| r.get(j).map_or("", String::as_str))
                .collect();
            if !cells.is_empty() && cells.iter().all(|c| *c == "true" || *c == "false") {
                t.bool(name.clone(), cells.iter().map(|c| *c == "true").collect());
            } else if cells
                .iter()
                .all(|c| c.is_empty() || c.parse::<f64>().is_ok())
                && cells.iter().any(|c| !c.is_empty())
            {
                t.num(
                    name.clone(),
                    cells
                        .iter()
                        .map(|c| c.parse::<f64>().unwrap_or(f64::NAN))
                        .collect(),
                );
            } else {
                t.text(
                    name.clone(),
                    cells.iter().map(|c| (*c).to_string()).collect(),
                );
            }
        }
        t
    }
}

/// Parse a CSV written by [`Table::to_csv`] into its header and raw cells (quotes removed).
/// Meant for tests and for checking a redraw; not a general CSV reader.
pub fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines();
    let split = |l: &str| -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        let mut chars = l.chars().peekable();
        while let Some(ch) = chars.next() {
            match ch {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    cur.push('"');
                    chars.next();
                }
                '"' => quoted = !quoted,
                ',' if !quoted => out.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        out.push(cur);
        out
    };
    let header = lines.next().map(split).unwrap_or_default();
    (header, lines.map(split).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_exact() {
        let x = vec![0.1 + 0.2, 1e-9, 68_523.927_207_369_12, f64::NAN];
        let mut t = Table::default();
        t.num("x", x.clone())
            .text(
                "label",
                vec!["a,b".into(), "q\"".into(), "c".into(), "".into()],
            )
            .bool("flag", vec![true, false, true, false]);
        let csv = t.to_csv().unwrap();
        let (h, rows) = parse_csv(&csv);
        assert_eq!(h, ["x", "label", "flag"]);
        assert_eq!(rows.len(), 4);
        for (r, v) in rows.iter().zip(&x) {
            if v.is_finite() {
                assert_eq!(r[0].parse::<f64>().unwrap().to_bits(), v.to_bits());
            } else {
                assert_eq!(r[0], "");
            }
        }
        assert_eq!(rows[0][1], "a,b");
        assert_eq!(rows[1][1], "q\"");
        assert_eq!(rows[2][2], "true");
    }

    #[test]
    fn from_csv_gives_back_the_table() {
        let mut t = Table::default();
        t.text("time", vec!["2026-02-07T00:00:00Z".into(), "b,c".into()])
            .num("x", vec![0.1 + 0.2, f64::NAN])
            .bool("w", vec![false, true]);
        let back = Table::from_csv(&t.to_csv().unwrap());
        assert_eq!(back.to_csv().unwrap(), t.to_csv().unwrap());
        assert_eq!(
            back.get_num("x").unwrap()[0].to_bits(),
            (0.1f64 + 0.2).to_bits()
        );
        assert!(back.get_num("x").unwrap()[1].is_nan());
    }

    #[test]
    fn ragged_columns_are_an_error() {
        let mut t = Table::default();
        t.num("a", vec![1.0, 2.0]).num("b", vec![1.0]);
        assert!(t.to_csv().is_err());
    }
}
