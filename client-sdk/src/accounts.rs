//! Typed decoding of program accounts (discriminator checked).

use anchor_lang::{prelude::Pubkey, AccountDeserialize};

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
