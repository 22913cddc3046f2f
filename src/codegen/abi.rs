//! The tile calling convention (placeholder until the code generator lands).
#[repr(C)]
pub struct TileArgs {
    pub inputs: *const *const u8,
    pub in_strides: *const i64,
    pub out: *mut u8,
    pub out_strides: *const i64,
    pub extent: *const u64,
    pub origin: *const i64,
    pub shape: *const i64,
    pub params: *const u8,
}
pub type TileFn = unsafe extern "C" fn(*const TileArgs);
