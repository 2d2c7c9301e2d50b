//! Writes a deterministic, realistic GDELT 2.0 event export: 61 tab-separated columns per row,
//! ten years of dates, ~70 countries with roles and organisations, the CAMEO codes in roughly
//! GDELT's proportions (consultations and statements dominate), mentions, tone, three geography
//! blocks with FIPS codes, DATEADDED and a source URL shared by the events of one article. About 420 bytes a row.
//!
//! `cargo run --release -p detente-bench --bin gen_gdelt -- ROWS FILE`

use std::io::{BufWriter, Write};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// (ISO3 / CAMEO code, name, FIPS, capital, weight).
/// A country row of [`COUNTRIES`].
type Country = (&'static str, &'static str, &'static str, &'static str, u32);
/// A role row of [`ROLES`].
type Role = (&'static str, &'static str, u32);

const COUNTRIES: &[Country] = &[
    ("USA", "UNITED STATES", "US", "Washington", 30),
    ("CHN", "CHINA", "CH", "Beijing", 14),
    ("RUS", "RUSSIA", "RS", "Moscow", 14),
    ("GBR", "UNITED KINGDOM", "UK", "London", 10),
    ("FRA", "FRANCE", "FR", "Paris", 7),
    ("DEU", "GERMANY", "GM", "Berlin", 7),
    ("TUR", "TURKEY", "TU", "Ankara", 8),
    ("SYR", "SYRIA", "SY", "Damascus", 7),
    ("IRN", "IRAN", "IR", "Tehran", 8),
    ("ISR", "ISRAEL", "IS", "Jerusalem", 8),
    ("PSE", "PALESTINE", "WE", "Ramallah", 4),
    ("IND", "INDIA", "IN", "New Delhi", 9),
    ("PAK", "PAKISTAN", "PK", "Islamabad", 6),
    ("UKR", "UKRAINE", "UP", "Kyiv", 8),
    ("JPN", "JAPAN", "JA", "Tokyo", 5),
    ("KOR", "SOUTH KOREA", "KS", "Seoul", 4),
    ("PRK", "NORTH KOREA", "KN", "Pyongyang", 3),
    ("SAU", "SAUDI ARABIA", "SA", "Riyadh", 5),
    ("EGY", "EGYPT", "EG", "Cairo", 4),
    ("IRQ", "IRAQ", "IZ", "Baghdad", 4),
    ("AFG", "AFGHANISTAN", "AF", "Kabul", 4),
    ("LBN", "LEBANON", "LE", "Beirut", 3),
    ("JOR", "JORDAN", "JO", "Amman", 2),
    ("QAT", "QATAR", "QA", "Doha", 2),
    ("ARE", "UNITED ARAB EMIRATES", "AE", "Abu Dhabi", 2),
    ("NGA", "NIGERIA", "NI", "Abuja", 3),
    ("ZAF", "SOUTH AFRICA", "SF", "Pretoria", 3),
    ("KEN", "KENYA", "KE", "Nairobi", 2),
    ("ETH", "ETHIOPIA", "ET", "Addis Ababa", 2),
    ("BRA", "BRAZIL", "BR", "Brasilia", 3),
    ("MEX", "MEXICO", "MX", "Mexico City", 3),
    ("CAN", "CANADA", "CA", "Ottawa", 3),
    ("AUS", "AUSTRALIA", "AS", "Canberra", 3),
    ("ITA", "ITALY", "IT", "Rome", 3),
    ("ESP", "SPAIN", "SP", "Madrid", 2),
    ("POL", "POLAND", "PL", "Warsaw", 2),
    ("GRC", "GREECE", "GR", "Athens", 2),
    ("ARM", "ARMENIA", "AM", "Yerevan", 1),
    ("AZE", "AZERBAIJAN", "AJ", "Baku", 1),
    ("GEO", "GEORGIA", "GG", "Tbilisi", 1),
    ("BLR", "BELARUS", "BO", "Minsk", 1),
    ("VEN", "VENEZUELA", "VE", "Caracas", 2),
    ("COL", "COLOMBIA", "CO", "Bogota", 1),
    ("ARG", "ARGENTINA", "AR", "Buenos Aires", 1),
    ("IDN", "INDONESIA", "ID", "Jakarta", 2),
    ("PHL", "PHILIPPINES", "RP", "Manila", 2),
    ("VNM", "VIETNAM", "VM", "Hanoi", 1),
    ("THA", "THAILAND", "TH", "Bangkok", 1),
    ("MMR", "MYANMAR", "BM", "Naypyidaw", 1),
    ("BGD", "BANGLADESH", "BG", "Dhaka", 1),
    ("LBY", "LIBYA", "LY", "Tripoli", 2),
    ("YEM", "YEMEN", "YM", "Sanaa", 2),
    ("SDN", "SUDAN", "SU", "Khartoum", 2),
    ("SOM", "SOMALIA", "SO", "Mogadishu", 1),
    ("MLI", "MALI", "ML", "Bamako", 1),
    ("DZA", "ALGERIA", "AG", "Algiers", 1),
    ("MAR", "MOROCCO", "MO", "Rabat", 1),
    ("TUN", "TUNISIA", "TS", "Tunis", 1),
    ("CUB", "CUBA", "CU", "Havana", 1),
    ("SRB", "SERBIA", "RI", "Belgrade", 1),
    ("HUN", "HUNGARY", "HU", "Budapest", 1),
    ("SWE", "SWEDEN", "SW", "Stockholm", 1),
    ("NOR", "NORWAY", "NO", "Oslo", 1),
    ("CHE", "SWITZERLAND", "SZ", "Bern", 1),
    ("BEL", "BELGIUM", "BE", "Brussels", 1),
    ("NLD", "NETHERLANDS", "NL", "Amsterdam", 1),
    ("AUT", "AUSTRIA", "AU", "Vienna", 1),
    ("OMN", "OMAN", "MU", "Muscat", 1),
    ("KWT", "KUWAIT", "KU", "Kuwait City", 1),
];

/// (role block, name suffix, weight).
const ROLES: &[Role] = &[
    ("", "", 30),
    ("GOV", " GOVERNMENT", 30),
    ("MIL", " MILITARY", 10),
    ("COP", " POLICE", 5),
    ("OPP", " OPPOSITION", 3),
    ("BUS", " BUSINESS", 4),
    ("MED", " MEDIA", 4),
    ("CVL", " CIVILIAN", 5),
    ("JUD", " JUDICIARY", 2),
    ("LEG", " PARLIAMENT", 3),
    ("REB", " REBEL", 2),
    ("EDU", " STUDENT", 2),
];

/// (code, Goldstein, weight) in roughly GDELT's proportions.
const CODES: &[(&str, f64, u32)] = &[
    ("010", 0.0, 80),
    ("011", -0.1, 4),
    ("012", -0.4, 6),
    ("013", 0.4, 8),
    ("014", 0.0, 3),
    ("015", 0.0, 2),
    ("020", 3.0, 12),
    ("022", 3.4, 2),
    ("030", 4.0, 10),
    ("036", 4.0, 8),
    ("0311", 5.2, 2),
    ("040", 1.0, 70),
    ("042", 1.9, 30),
    ("043", 2.8, 35),
    ("045", 5.0, 2),
    ("046", 7.0, 12),
    ("051", 3.4, 20),
    ("057", 8.0, 8),
    ("060", 6.0, 4),
    ("061", 6.4, 6),
    ("070", 7.0, 2),
    ("071", 7.4, 3),
    ("080", 5.0, 2),
    ("0874", 10.0, 1),
    ("090", -2.0, 3),
    ("100", -5.0, 3),
    ("111", -2.0, 10),
    ("112", -2.0, 15),
    ("120", -4.0, 4),
    ("128", -2.0, 2),
    ("130", -4.4, 3),
    ("138", -7.0, 3),
    ("141", -6.5, 3),
    ("145", -7.5, 2),
    ("163", -8.0, 2),
    ("173", -5.0, 6),
    ("180", -9.0, 3),
    ("190", -10.0, 8),
    ("193", -10.0, 4),
    ("195", -10.0, 2),
];

fn pick<'a, T>(rng: &mut Rng, items: &'a [T], weight: impl Fn(&T) -> u32, total: u32) -> &'a T {
    let mut x = (rng.next() % total as u64) as u32;
    for it in items {
        let w = weight(it);
        if x < w {
            return it;
        }
        x -= w;
    }
    &items[items.len() - 1]
}

fn ymd(days: i64) -> (i64, i64, i64) {
    // Civil from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let rows: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let path = args.get(2).cloned().unwrap_or_else(|| "gdelt2-sample.export.CSV".into());
    let mut out = BufWriter::with_capacity(1 << 22, std::fs::File::create(&path)?);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let ctotal: u32 = COUNTRIES.iter().map(|c| c.4).sum();
    let rtotal: u32 = ROLES.iter().map(|r| r.2).sum();
    let etotal: u32 = CODES.iter().map(|c| c.2).sum();
    let first_day = 16_436; // 2015-01-01
    let span = 3_653; // ten years
    let mut line = String::with_capacity(1024);
    // Events come in articles, as in GDELT: the rows of one article follow each other and share
    // the date, DATEADDED and the URL (the real sample in shared/corpus/samples has 50 rows from
    // 15 articles; here an article has 3.2 events on average).
    let (mut left, mut day, mut added, mut article) = (0usize, 0i64, String::new(), 0u64);
    for i in 0..rows {
        line.clear();
        if left == 0 {
            left = 1 + rng.below(4) + if rng.below(8) == 0 { rng.below(12) } else { 0 };
            day = first_day + rng.below(span) as i64;
            let (ay, am, ad) = ymd(day + rng.below(3) as i64);
            let (hh, mm) = (rng.below(24), rng.below(4) * 15);
            article += 1;
            added = format!(
                "{ay}{am:02}{ad:02}{hh:02}{mm:02}00\thttps://news.example.org/{ay}/{am:02}/{ad:02}/world/story-{article}.html\n"
            );
        }
        left -= 1;
        let (y, m, d) = ymd(day);
        let actor = |rng: &mut Rng| {
            // About one actor in twelve is missing, as in GDELT.
            if rng.below(12) == 0 {
                return None;
            }
            // A Turkish–Syrian thread runs through the file.
            let c = if rng.below(40) == 0 {
                if rng.below(2) == 0 { &COUNTRIES[6] } else { &COUNTRIES[7] }
            } else {
                pick(rng, COUNTRIES, |c| c.4, ctotal)
            };
            let r = pick(rng, ROLES, |r| r.2, rtotal);
            Some((c, r))
        };
        let a1 = actor(&mut rng);
        let a2 = actor(&mut rng);
        let (code, goldstein, _) = *pick(&mut rng, CODES, |c| c.2, etotal);
        let root = &code[..2];
        let quad = match root.parse::<u32>().unwrap_or(1) {
            1..=5 => 1,
            6..=9 => 2,
            10..=14 => 3,
            _ => 4,
        };
        let mentions = 1 + rng.below(10) + if rng.below(10) == 0 { rng.below(90) } else { 0 };
        let tone = rng.unit() * 20.0 - 12.0;
        use std::fmt::Write as _;
        let _ = write!(
            line,
            "{}\t{y}{m:02}{d:02}\t{y}{m:02}\t{y}\t{:.4}\t",
            1_000_000_000 + i,
            y as f64 + (m * 30 + d) as f64 / 365.0
        );
        let actor_cols = |line: &mut String, a: &Option<(&Country, &Role)>| match a {
            Some((c, r)) => {
                let _ = write!(line, "{}{}\t{}{}\t{}\t\t\t\t\t{}\t\t\t", c.0, r.0, c.1, r.1, c.0, r.0);
            }
            None => line.push_str("\t\t\t\t\t\t\t\t\t\t"),
        };
        actor_cols(&mut line, &a1);
        actor_cols(&mut line, &a2);
        let _ = write!(
            line,
            "{}\t{code}\t{}\t{root}\t{quad}\t{goldstein:.1}\t{mentions}\t{}\t{mentions}\t{tone:.10}\t",
            rng.below(2),
            &code[..code.len().min(3)],
            1 + rng.below(mentions)
        );
        let geo = |line: &mut String, rng: &mut Rng, a: &Option<(&Country, &Role)>| match a {
            Some((c, _)) => {
                let lat = rng.unit() * 120.0 - 50.0;
                let lon = rng.unit() * 340.0 - 170.0;
                let _ = write!(
                    line,
                    "4\t{}, {}\t{}\t{}{:02}\t{}{}\t{lat:.4}\t{lon:.4}\t-{}\t",
                    c.3,
                    c.1,
                    c.2,
                    c.2,
                    rng.below(40),
                    c.2,
                    rng.below(900),
                    100_000 + rng.below(3_000_000)
                );
            }
            None => line.push_str("0\t\t\t\t\t\t\t\t"),
        };
        geo(&mut line, &mut rng, &a1);
        geo(&mut line, &mut rng, &a2);
        let place = if rng.below(2) == 0 { &a1 } else { &a2 };
        geo(&mut line, &mut rng, place);
        line.push_str(&added);
        out.write_all(line.as_bytes())?;
    }
    out.flush()?;
    eprintln!("wrote {rows} rows to {path}");
    Ok(())
}
