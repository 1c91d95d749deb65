use std::time::Instant;
fn rss() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines().find(|l| l.starts_with("VmHWM")).unwrap().split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() / 1024
}
fn main() {
    let q = socscope::questionnaire::builtin().unwrap();
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let head = &text[..text.find("\n[recommendation]\n").unwrap()];
    for _ in 0..3 {
        let t = Instant::now();
        let v: toml::Table = toml::from_str(head).unwrap();
        eprintln!("toml::Table {:?} peak {} MiB", t.elapsed(), rss());
        drop(v);
        let t = Instant::now();
        let (s, _) = socscope::session::file::parse("x", &text, &q).unwrap();
        eprintln!("file::parse {:?} peak {} MiB", t.elapsed(), rss());
        drop(s);
    }
}
