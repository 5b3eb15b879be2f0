//! Values between the store's rows (SQLite's storage classes) and PostgreSQL's typed wire
//! format. A parameter is encoded as whatever type the server inferred for its place (an
//! integer bound where a `DOUBLE PRECISION` goes is sent as a float, a number compared with a
//! text column as its text), and a column of any type the store's tables or expressions
//! produce is decoded (`bigint`, `double precision`, `numeric` from `sum`, `boolean` from a
//! comparison, text, bytes).

use std::error::Error;

use postgres::types::{FromSql, IsNull, ToSql, Type, private::BytesMut, to_sql_checked};
use rusqlite::types::Value;

type BoxError = Box<dyn Error + Sync + Send>;

/// A parameter on its way to PostgreSQL.
#[derive(Debug)]
pub(crate) struct PgArg(pub Value);

/// A column on its way from PostgreSQL.
#[derive(Debug)]
pub(crate) struct PgValue(pub Value);

fn is_text(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN
    )
}

fn mismatch(value: &Value, ty: &Type) -> BoxError {
    format!("cannot send {value:?} where PostgreSQL expects {ty}").into()
}

impl ToSql for PgArg {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match &self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Integer(n) => match *ty {
                Type::INT8 => n.to_sql(ty, out),
                Type::INT4 => i32::try_from(*n)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*n)?.to_sql(ty, out),
                Type::FLOAT8 => (*n as f64).to_sql(ty, out),
                Type::FLOAT4 => (*n as f32).to_sql(ty, out),
                Type::BOOL => (*n != 0).to_sql(ty, out),
                ref t if is_text(t) => n.to_string().as_str().to_sql(&Type::TEXT, out),
                _ => Err(mismatch(&self.0, ty)),
            },
            Value::Real(x) => match *ty {
                Type::FLOAT8 => x.to_sql(ty, out),
                Type::FLOAT4 => (*x as f32).to_sql(ty, out),
                Type::INT8 if x.fract() == 0.0 && x.abs() < 9.0e15 => (*x as i64).to_sql(ty, out),
                ref t if is_text(t) => x.to_string().as_str().to_sql(&Type::TEXT, out),
                _ => Err(mismatch(&self.0, ty)),
            },
            Value::Text(s) => match *ty {
                ref t if is_text(t) => s.as_str().to_sql(&Type::TEXT, out),
                Type::INT8 => s.trim().parse::<i64>()?.to_sql(ty, out),
                Type::INT4 => s.trim().parse::<i32>()?.to_sql(ty, out),
                Type::FLOAT8 => s.trim().parse::<f64>()?.to_sql(ty, out),
                Type::BOOL => (s.trim() != "0" && !s.trim().is_empty()).to_sql(ty, out),
                Type::BYTEA => s.as_bytes().to_sql(ty, out),
                _ => Err(mismatch(&self.0, ty)),
            },
            Value::Blob(bytes) => match *ty {
                Type::BYTEA => bytes.as_slice().to_sql(ty, out),
                _ => Err(mismatch(&self.0, ty)),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for PgValue {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        let value = match *ty {
            Type::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Integer(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Integer(i16::from_sql(ty, raw)?.into()),
            Type::OID => Value::Integer(u32::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Integer(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::NUMERIC => numeric(raw)?,
            Type::BYTEA => Value::Blob(raw.to_vec()),
            ref t if is_text(t) => Value::Text(<&str>::from_sql(&Type::TEXT, raw)?.to_string()),
            _ => return Err(format!("the store does not read PostgreSQL's {ty} columns").into()),
        };
        Ok(PgValue(value))
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(PgValue(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A `numeric` in PostgreSQL's binary form (digit count, weight, sign, scale, then base-10000
/// digits), as SQLite would hold it: an integer when it has no fraction and fits, else a real
/// (the declared scale does not matter: a reader of reals takes integers too).
fn numeric(raw: &[u8]) -> Result<Value, BoxError> {
    let word = |at: usize| -> Result<i16, BoxError> {
        raw.get(at..at + 2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "a truncated numeric".into())
    };
    let digits = word(0)?.max(0) as usize;
    let weight = i32::from(word(2)?);
    let sign = word(4)? as u16;
    if sign == 0xC000 {
        return Ok(Value::Real(f64::NAN));
    }
    let mut integer: i128 = 0;
    let mut real = 0.0f64;
    let mut exact = true;
    for i in 0..digits {
        let digit = i32::from(word(8 + 2 * i)?);
        let power = weight - i as i32;
        real += f64::from(digit) * 10_000f64.powi(power);
        if power >= 0 {
            integer = integer
                .checked_mul(10_000)
                .and_then(|v| v.checked_add(i128::from(digit)))
                .unwrap_or_else(|| {
                    exact = false;
                    0
                });
        } else if digit != 0 {
            exact = false;
        }
    }
    // Trailing zero groups are not sent: scale the integer up to the weight.
    let sent_up_to = weight - digits as i32 + 1;
    for _ in 0..sent_up_to.max(0) {
        integer = integer.checked_mul(10_000).unwrap_or_else(|| {
            exact = false;
            0
        });
    }
    let negative = sign == 0x4000;
    if exact && let Ok(n) = i64::try_from(if negative { -integer } else { integer }) {
        return Ok(Value::Integer(n));
    }
    Ok(Value::Real(if negative { -real } else { real }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(digits: &[i16], weight: i16, negative: bool, scale: i16) -> Vec<u8> {
        let mut raw = Vec::new();
        for word in [
            digits.len() as i16,
            weight,
            if negative { 0x4000 } else { 0 },
            scale,
        ] {
            raw.extend_from_slice(&word.to_be_bytes());
        }
        for digit in digits {
            raw.extend_from_slice(&digit.to_be_bytes());
        }
        raw
    }

    #[test]
    fn numerics_read_as_integers_when_whole_and_reals_otherwise() {
        // 123456789 = 1|2345|6789, weight 2.
        assert_eq!(
            numeric(&encoded(&[1, 2345, 6789], 2, false, 0)).ok(),
            Some(Value::Integer(123_456_789))
        );
        // 50000 = 5 with weight 1 (the trailing 0000 group is not sent).
        assert_eq!(
            numeric(&encoded(&[5], 1, true, 0)).ok(),
            Some(Value::Integer(-50_000))
        );
        assert_eq!(
            numeric(&encoded(&[], 0, false, 0)).ok(),
            Some(Value::Integer(0))
        );
        // 2.5 = 2|5000, weight 0, scale 1.
        assert_eq!(
            numeric(&encoded(&[2, 5000], 0, false, 1)).ok(),
            Some(Value::Real(2.5))
        );
    }
}
