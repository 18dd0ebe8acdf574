//! Serialization of the domain's value types, for change events and the
//! durable store: each is written as its canonical text (or number) and read
//! back through its validating `parse`, so a stored value can never bypass
//! validation.

use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

use super::{Designation, NiceClassSet, Office, Region, ResourceId, Slug};
use crate::logo::LogoHash;

macro_rules! as_text {
    ($ty:ty, $parse:expr) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                $parse(&text).map_err(D::Error::custom)
            }
        }
    };
}

as_text!(Slug, Slug::parse);
as_text!(Region, Region::parse);
as_text!(Office, Office::parse);
// A country's code, or `EM`: a trademark stored with countries only
// (before the EU was kept as one designation) reads as it did.
as_text!(Designation, Designation::parse);
as_text!(ResourceId, ResourceId::parse);

impl Serialize for NiceClassSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.bits())
    }
}

impl<'de> Deserialize<'de> for NiceClassSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        NiceClassSet::from_bits(u64::deserialize(deserializer)?).map_err(D::Error::custom)
    }
}

impl Serialize for LogoHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for LogoHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        LogoHash::parse_hex(&text).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_are_validated_on_the_way_in() {
        let slug = Slug::parse("maison-aurelle").expect("slug");
        let json = serde_json::to_string(&slug).expect("serialize");
        assert_eq!(json, "\"maison-aurelle\"");
        assert_eq!(serde_json::from_str::<Slug>(&json).expect("parse"), slug);
        assert!(serde_json::from_str::<Slug>("\"Not A Slug\"").is_err());
        assert!(serde_json::from_str::<Region>("\"ZZ\"").is_err());
        let classes = NiceClassSet::parse_list(&[9, 14]).expect("classes");
        let json = serde_json::to_string(&classes).expect("serialize");
        assert_eq!(
            serde_json::from_str::<NiceClassSet>(&json).expect("parse"),
            classes
        );
        assert!(
            serde_json::from_str::<NiceClassSet>("1").is_err(),
            "bit 0 is no class"
        );
    }
}
