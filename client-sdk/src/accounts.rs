//! Typed decoding of program accounts (discriminator checked).

use anchor_lang::{prelude::Pubkey, AccountDeserialize, Discriminator, ZeroCopy};

use crate::ClientError;

/// Decode `data` (including the 8-byte discriminator) as account type `T`.
pub fn decode<T: AccountDeserialize>(address: &Pubkey, data: &[u8]) -> Result<T, ClientError> {
    let mut slice = data;
    T::try_deserialize(&mut slice).map_err(|e| ClientError::BadAccount {
        address: address.to_string(),
        expected: std::any::type_name::<T>()
            .rsplit("::")
            .next()
            .unwrap_or("account"),
        reason: e.to_string(),
    })
}

/// Decode `data` (including the discriminator) as zero-copy account type `T` (e.g. `Job`).
pub fn decode_zero_copy<T: ZeroCopy + Discriminator>(
    address: &Pubkey,
    data: &[u8],
) -> Result<T, ClientError> {
    let bad = |reason: String| ClientError::BadAccount {
        address: address.to_string(),
        expected: std::any::type_name::<T>()
            .rsplit("::")
            .next()
            .unwrap_or("account"),
        reason,
    };
    let body = data
        .strip_prefix(T::DISCRIMINATOR)
        .ok_or_else(|| bad("wrong discriminator".into()))?;
    let size = std::mem::size_of::<T>();
    if body.len() < size {
        return Err(bad(format!("{} bytes, expected {size}", body.len())));
    }
    Ok(bytemuck::pod_read_unaligned(&body[..size]))
}
