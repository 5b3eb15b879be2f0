//! The sample's retail calendar: which weeks hold a public holiday (fixed dates and Easter).

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Weeks (Monday to Sunday) holding New Year's Day, Easter Sunday, Memorial Day, July 4th,
/// Labor Day, Thanksgiving or Christmas Day.
pub(super) fn is_holiday_week(monday: NaiveDate) -> bool {
    let sunday = monday + Duration::days(6);
    let year = monday.year();
    let mut days = Vec::new();
    for y in [year, sunday.year()] {
        let fixed = [(1, 1), (7, 4), (12, 25)];
        days.extend(
            fixed
                .iter()
                .filter_map(|&(m, d)| NaiveDate::from_ymd_opt(y, m, d)),
        );
        days.extend(easter_sunday(y));
        days.extend(NaiveDate::from_weekday_of_month_opt(y, 9, Weekday::Mon, 1));
        days.extend(NaiveDate::from_weekday_of_month_opt(y, 11, Weekday::Thu, 4));
        // Memorial Day: the last Monday of May.
        days.extend(
            NaiveDate::from_weekday_of_month_opt(y, 5, Weekday::Mon, 5)
                .or_else(|| NaiveDate::from_weekday_of_month_opt(y, 5, Weekday::Mon, 4)),
        );
    }
    days.iter().any(|d| *d >= monday && *d <= sunday)
}

/// Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
}
