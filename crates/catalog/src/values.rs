//! Typed values of enumerated columns (asset kind, media state, file kind):
//! stored as their names (`TEXT`), read back through [`std::str::FromStr`]
//! so that an unknown value is a decoding error, never a silent default.
//! Each stored name is its variant's name in lower case (serde and the
//! OpenAPI schema use the same; a test checks the two agree).

/// Declares a string-backed enum with its stored names and the sqlx and
/// rusqlite conversions for both backends.
macro_rules! stored_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The stored name.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            /// Parses a stored name.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::values::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s).ok_or_else(|| crate::values::UnknownValue {
                    what: stringify!($name),
                    value: s.chars().take(40).collect(),
                })
            }
        }

        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let s = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                Ok(s.parse::<$name>()?)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            &'q str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&'q str as sqlx::Encode<'q, DB>>::encode(self.as_str(), buf)
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(
                v: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                v.as_str()?
                    .parse()
                    .map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
            }
        }
    };
}

/// A stored name no variant has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?} in the database")]
pub struct UnknownValue {
    /// the type
    pub what: &'static str,
    /// the value (at most 40 characters)
    pub value: String,
}

stored_enum! {
    /// What an asset is.
    AssetKind {
        /// a still picture
        Photo = "photo",
        /// a video
        Video = "video",
    }
}

stored_enum! {
    /// Where an asset stands in the media pipeline.
    MediaState {
        /// queued: thumbnail, preview and metadata not made yet
        Pending = "pending",
        /// renditions and metadata made
        Ready = "ready",
        /// the file could not be read (the reason is kept)
        Failed = "failed",
        /// a type with nothing to render
        None = "none",
    }
}

stored_enum! {
    /// A file derived from an asset's original.
    FileKind {
        /// grid thumbnail (JPEG, shorter side 250 px)
        Thumbnail = "thumbnail",
        /// viewer preview (JPEG, longer side 1440 px)
        Preview = "preview",
        /// a video browsers can play (H.264/AAC MP4)
        Playback = "playback",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_errors() {
        for k in AssetKind::ALL {
            assert_eq!(k.as_str().parse::<AssetKind>(), Ok(*k));
        }
        for s in MediaState::ALL {
            assert_eq!(s.as_str().parse::<MediaState>(), Ok(*s));
        }
        for f in FileKind::ALL {
            assert_eq!(f.as_str().parse::<FileKind>(), Ok(*f));
        }
        let e = "audio".parse::<AssetKind>().expect_err("unknown");
        assert!(e.to_string().contains("audio"), "{e}");
        for s in MediaState::ALL {
            assert_eq!(
                serde_json::to_string(s).expect("json"),
                format!("\"{}\"", s.as_str())
            );
        }
        for k in AssetKind::ALL {
            assert_eq!(
                serde_json::to_string(k).expect("json"),
                format!("\"{}\"", k.as_str())
            );
        }
        for f in FileKind::ALL {
            assert_eq!(
                serde_json::to_string(f).expect("json"),
                format!("\"{}\"", f.as_str())
            );
        }
    }
}
