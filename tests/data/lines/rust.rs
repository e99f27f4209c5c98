// 14 lines 5 code 6 comments 3 blanks
//! Crate docs: a doc comment holding a fenced example.
//!
//! ```
//! let x = 1;
//! ```

/// Adds one.
fn add_one(x: i32) -> i32 {
    x + 1
}

fn main() {
    println!("{}", add_one(1)); }
