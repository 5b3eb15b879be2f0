//! TPE's tests: Optuna's gamma and weights, and TPE against random sampling on standard
//! functions over 20 seeds.

use super::*;

/// The median of the best value after `trials` over 20 seeds, by TPE and by random sampling.
fn medians(space: &Space, f: &dyn Fn(&[Value]) -> f64, trials: usize) -> (f64, f64) {
    let mut tpe = Vec::new();
    let mut random = Vec::new();
    for seed in 0..20 {
        for (use_tpe, bests) in [(true, &mut tpe), (false, &mut random)] {
            let mut rng = Rng::new(seed);
            let mut history: Vec<Observed> = Vec::new();
            let mut best = f64::INFINITY;
            for number in 0..trials {
                let values = if use_tpe {
                    suggest(space, &history, &mut rng)
                } else {
                    space
                        .dimensions
                        .iter()
                        .map(|d| random_value(&d.range, &mut rng))
                        .collect()
                };
                let y = f(&values);
                best = best.min(y);
                history.push(Observed {
                    number,
                    params: values
                        .iter()
                        .zip(&space.dimensions)
                        .map(|(v, d)| internal(&d.range, v))
                        .collect(),
                    state: Observation::Complete(y),
                });
            }
            bests.push(best);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[9] + v[10]) / 2.0
    };
    (median(&mut tpe), median(&mut random))
}

fn number(v: &Value) -> f64 {
    match v {
        Value::Number(x) => *x,
        Value::Choice(_) => f64::NAN,
    }
}

#[test]
fn tpe_beats_random_sampling_on_standard_functions_over_20_seeds() {
    let sphere = Space::parse("x=-5..5,y=-5..5,z=-5..5").expect("space");
    let (tpe, random) = medians(&sphere, &|v| v.iter().map(|x| number(x).powi(2)).sum(), 50);
    println!("sphere: median best after 50, TPE {tpe:.4}, random {random:.4}");
    assert!(tpe < random, "sphere: TPE {tpe} against random {random}");
    let branin = Space::parse("x=-5..10,y=0..15").expect("space");
    let f = |v: &[Value]| {
        let (x, y) = (number(&v[0]), number(&v[1]));
        let pi = std::f64::consts::PI;
        (y - 5.1 / (4.0 * pi * pi) * x * x + 5.0 / pi * x - 6.0).powi(2)
            + 10.0 * (1.0 - 1.0 / (8.0 * pi)) * x.cos()
            + 10.0
    };
    let (tpe, random) = medians(&branin, &f, 50);
    println!("branin: median best after 50, TPE {tpe:.4}, random {random:.4}");
    assert!(tpe < random, "branin: TPE {tpe} against random {random}");
    // Log, integer and categorical parameters together.
    let mixed = Space::parse("lr=log:0.0001..1,n=int:1..64,kind=cat:a|b|c").expect("space");
    let f = |v: &[Value]| {
        let lr = number(&v[0]);
        let n = number(&v[1]);
        let kind = matches!(&v[2], Value::Choice(c) if c == "b");
        (lr.log10() + 2.0).powi(2) + ((n - 20.0) / 10.0).powi(2) + if kind { 0.0 } else { 1.0 }
    };
    let (tpe, random) = medians(&mixed, &f, 50);
    println!("mixed: median best after 50, TPE {tpe:.4}, random {random:.4}");
    assert!(tpe < random, "mixed: TPE {tpe} against random {random}");
}

#[test]
fn gamma_and_weights_are_optunas() {
    assert_eq!((gamma(1), gamma(10), gamma(11), gamma(300)), (1, 1, 2, 25));
    assert_eq!(weights(3), vec![1.0; 3]);
    let w = weights(30);
    assert_eq!(w.len(), 30);
    assert!((w[0] - 1.0 / 30.0).abs() < 1e-12 && (w[4] - 1.0).abs() < 1e-12);
    assert!(w[5..].iter().all(|v| *v == 1.0));
}
