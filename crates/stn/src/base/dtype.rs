//! Element types of arrays and of kernel values.
//!
//! A kernel never names the dtypes of its array inputs: they come from the
//! data. `DType` is the closed set docs/language.md §2 allows.

use std::fmt;

/// One of the eleven element types stn reads, computes with and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `bool`, stored as one byte 0 or 1.
    Bool,
    /// 8-bit signed integers.
    I8,
    /// 16-bit signed integers.
    I16,
    /// 32-bit signed integers.
    I32,
    /// 64-bit signed integers.
    I64,
    /// 8-bit unsigned integers.
    U8,
    /// 16-bit unsigned integers.
    U16,
    /// 32-bit unsigned integers.
    U32,
    /// 64-bit unsigned integers.
    U64,
    /// 32-bit IEEE 754 floats.
    F32,
    /// 64-bit IEEE 754 floats.
    F64,
}

impl DType {
    /// Every dtype's name, as a list for messages: `bool, i8, ...`.
    pub fn all_names() -> String {
        DType::ALL.map(DType::name).join(", ")
    }

    /// Every dtype, in the order of docs/language.md §2.
    pub const ALL: [DType; 11] = [
        DType::Bool,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::U8,
        DType::U16,
        DType::U32,
        DType::U64,
        DType::F32,
        DType::F64,
    ];

    /// The name used in kernel source and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I8 => "i8",
            DType::I16 => "i16",
            DType::I32 => "i32",
            DType::I64 => "i64",
            DType::U8 => "u8",
            DType::U16 => "u16",
            DType::U32 => "u32",
            DType::U64 => "u64",
            DType::F32 => "f32",
            DType::F64 => "f64",
        }
    }

    /// Parses a dtype name as written in kernel source (`u8`, `f32`, ...).
    pub fn from_name(name: &str) -> Option<DType> {
        DType::ALL.iter().copied().find(|d| d.name() == name)
    }

    /// Bytes one element occupies in memory (`bool` is one byte, 0 or 1).
    pub fn size(self) -> usize {
        match self {
            DType::Bool | DType::I8 | DType::U8 => 1,
            DType::I16 | DType::U16 => 2,
            DType::I32 | DType::U32 | DType::F32 => 4,
            DType::I64 | DType::U64 | DType::F64 => 8,
        }
    }

    /// Whether the dtype is `f32` or `f64`.
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }

    /// Integer dtypes, not counting `bool`.
    pub fn is_int(self) -> bool {
        self.is_signed() || self.is_unsigned()
    }

    /// Whether the dtype is a signed integer.
    pub fn is_signed(self) -> bool {
        matches!(self, DType::I8 | DType::I16 | DType::I32 | DType::I64)
    }

    /// Whether the dtype is an unsigned integer.
    pub fn is_unsigned(self) -> bool {
        matches!(self, DType::U8 | DType::U16 | DType::U32 | DType::U64)
    }

    /// Integers and `bool`: the types integer arithmetic accepts.
    pub fn is_integral(self) -> bool {
        self == DType::Bool || self.is_int()
    }
}

/// Dtype names joined by commas, for messages: `i8, f32`.
pub fn names(dtypes: &[DType]) -> String {
    dtypes
        .iter()
        .map(|d| d.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
