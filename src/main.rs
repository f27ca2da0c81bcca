//! The `stackgen` command.
fn main() {
    println!("stackgen");
}
