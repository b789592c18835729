//! Spectral coverage as intervals of photon energy in joules, as RegTAP 1.2's
//! `rr.stc_spectral` keeps them. A search may give wavelengths, frequencies or energies with
//! their units, or a waveband of the IVOA messenger vocabulary.

/// An interval of energy (J), `low <= high`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnergyInterval {
    pub low: f64,
    pub high: f64,
}

/// Why a spectral value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SpectralError(pub String);

/// Planck's constant (J s), the speed of light (m/s), the electronvolt (J): SI exact values.
pub const H: f64 = 6.626_070_15e-34;
pub const C: f64 = 299_792_458.0;
pub const EV: f64 = 1.602_176_634e-19;

/// The energy (J) of a photon of wavelength `m` metres.
pub fn from_wavelength(m: f64) -> f64 {
    H * C / m
}

/// The energy (J) of a photon of frequency `hz`.
pub fn from_frequency(hz: f64) -> f64 {
    H * hz
}

/// An energy from a quantity with its unit: a wavelength (`m`, `cm`, `mm`, `um`/`µm`, `nm`,
/// `Angstrom`/`A`), a frequency (`Hz`, `kHz`, `MHz`, `GHz`, `THz`) or an energy (`J`, `eV`,
/// `keV`, `MeV`, `GeV`, `TeV`). A bare number is joules.
pub fn energy(text: &str) -> Result<f64, SpectralError> {
    let t = text.trim();
    // The longest prefix that is a number (`5eV` is 5 eV, `5e-7m` is 5e-7 m).
    let candidate = t
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
        .unwrap_or(t.len());
    let (value, unit) = (1..=candidate)
        .rev()
        .find_map(|n| t[..n].trim().parse::<f64>().ok().map(|v| (v, &t[n..])))
        .ok_or_else(|| SpectralError(format!("{t:?} is not a number with a unit")))?;
    if !(value.is_finite() && value > 0.0) {
        return Err(SpectralError(format!(
            "{t:?}: a spectral value is positive"
        )));
    }
    let e = match unit.trim() {
        "" | "J" => value,
        "m" => from_wavelength(value),
        "cm" => from_wavelength(value * 1e-2),
        "mm" => from_wavelength(value * 1e-3),
        "um" | "µm" | "micron" => from_wavelength(value * 1e-6),
        "nm" => from_wavelength(value * 1e-9),
        "Angstrom" | "A" | "Å" => from_wavelength(value * 1e-10),
        "Hz" => from_frequency(value),
        "kHz" => from_frequency(value * 1e3),
        "MHz" => from_frequency(value * 1e6),
        "GHz" => from_frequency(value * 1e9),
        "THz" => from_frequency(value * 1e12),
        "eV" => value * EV,
        "keV" => value * EV * 1e3,
        "MeV" => value * EV * 1e6,
        "GeV" => value * EV * 1e9,
        "TeV" => value * EV * 1e12,
        other => {
            return Err(SpectralError(format!(
                "{other:?} is not a unit of wavelength (m, cm, mm, um, nm, Angstrom), frequency (Hz to THz) or energy (J, eV to TeV)"
            )));
        }
    };
    Ok(e)
}

/// The wavebands of the IVOA messenger vocabulary, as energy intervals (their wavelength
/// limits: radio beyond 10 mm, millimetre 0.1–10 mm, infrared 1–100 µm, optical 0.3–1 µm, UV
/// 0.1–0.3 µm, EUV 10–100 nm, X-ray 0.01–10 nm, gamma-ray below 0.01 nm). The infrared and
/// optical limits leave 0.1 mm–… and 1 µm shared where the vocabulary's bands meet.
pub fn waveband(name: &str) -> Option<EnergyInterval> {
    let lambda = |long: f64, short: f64| EnergyInterval {
        low: from_wavelength(long),
        high: from_wavelength(short),
    };
    Some(
        match name.to_ascii_lowercase().replace(['-', ' '], "").as_str() {
            "radio" => EnergyInterval {
                low: 0.0,
                high: from_wavelength(1e-2),
            },
            "millimeter" | "millimetre" => lambda(1e-2, 1e-4),
            "infrared" | "ir" => lambda(1e-4, 1e-6),
            "optical" => lambda(1e-6, 3e-7),
            "uv" | "ultraviolet" => lambda(3e-7, 1e-7),
            "euv" => lambda(1e-7, 1e-8),
            "xray" => lambda(1e-8, 1e-11),
            "gammaray" | "gamma" => EnergyInterval {
                low: from_wavelength(1e-11),
                high: f64::INFINITY,
            },
            _ => return None,
        },
    )
}

impl EnergyInterval {
    /// An interval from its two bounds, in either order (a wavelength interval's larger
    /// value is the lower energy).
    pub fn between(a: f64, b: f64) -> Result<EnergyInterval, SpectralError> {
        if a.is_nan() || b.is_nan() {
            return Err(SpectralError("a spectral bound is a number".into()));
        }
        Ok(EnergyInterval {
            low: a.min(b),
            high: a.max(b),
        })
    }

    /// An interval as a search gives it: a waveband name, one value with its unit, or two
    /// (`low/high`, `low high`) in either order.
    pub fn parse(text: &str) -> Result<EnergyInterval, SpectralError> {
        let t = text.trim();
        if let Some(w) = waveband(t) {
            return Ok(w);
        }
        let parts: Vec<&str> = match t.split_once('/') {
            Some((a, b)) => vec![a, b],
            None => {
                let words: Vec<&str> = t.split_whitespace().collect();
                // `500 nm` is one value with its unit; `400nm 700nm` two.
                if words.len() == 2
                    && words[1].parse::<f64>().is_err()
                    && words[0].parse::<f64>().is_ok()
                {
                    vec![t]
                } else if words.len() == 4 {
                    return EnergyInterval::between(
                        energy(&format!("{}{}", words[0], words[1]))?,
                        energy(&format!("{}{}", words[2], words[3]))?,
                    );
                } else {
                    words
                }
            }
        };
        match parts.as_slice() {
            [one] => {
                let e = energy(one)?;
                EnergyInterval::between(e, e)
            }
            [a, b] => EnergyInterval::between(energy(a)?, energy(b)?),
            _ => Err(SpectralError(format!(
                "{t:?} is not a waveband, a spectral value or an interval of two"
            ))),
        }
    }

    pub fn overlaps(&self, other: &EnergyInterval) -> bool {
        self.low <= other.high && other.low <= self.high
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        ((a - b) / b).abs() < 1e-9
    }

    #[test]
    fn units_to_joules() {
        assert!(close(energy("500nm").unwrap(), H * C / 500e-9));
        assert!(close(energy("1.4 GHz").unwrap(), H * 1.4e9));
        assert!(close(energy("2keV").unwrap(), 2e3 * EV));
        assert!(close(energy("5eV").unwrap(), 5.0 * EV));
        assert!(close(energy("5e-7 m").unwrap(), H * C / 5e-7));
        assert!(energy("5 parsec").is_err());
        assert!(energy("-1 nm").is_err());
        let optical = EnergyInterval::parse("Optical").unwrap();
        assert!(optical.overlaps(&EnergyInterval::parse("500 nm").unwrap()));
        assert!(!optical.overlaps(&EnergyInterval::parse("1 keV").unwrap()));
        // Either bound order: a wavelength interval given long to short, or short to long.
        assert_eq!(
            EnergyInterval::parse("700nm/400nm").unwrap(),
            EnergyInterval::parse("400nm/700nm").unwrap()
        );
    }
}
