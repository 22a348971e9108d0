// `sqlx::migrate!` reads the migration folders at compile time, and Cargo does not know it:
// without this, a migration added to a folder would not be in the next build.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
