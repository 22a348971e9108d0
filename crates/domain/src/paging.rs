use crate::{Error, Result};

/// A 1-based page of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub number: u32,
    pub per_page: u32,
}

impl Page {
    pub const MAX_PER_PAGE: u32 = 1000;

    pub fn new(number: u32, per_page: u32) -> Result<Self> {
        if number == 0 {
            return Err(Error::invalid_field("page", "must be 1 or more"));
        }
        if per_page == 0 || per_page > Self::MAX_PER_PAGE {
            return Err(Error::invalid_field("per_page", format!("must be between 1 and {}", Self::MAX_PER_PAGE)));
        }
        Ok(Self { number, per_page })
    }

    pub fn offset(self) -> i64 {
        i64::from(self.number - 1) * i64::from(self.per_page)
    }

    pub fn limit(self) -> i64 {
        i64::from(self.per_page)
    }
}

/// One page of results and the size of the whole list.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: Page,
}

impl<T> Paged<T> {
    pub fn page_count(&self) -> u64 {
        self.total.div_ceil(u64::from(self.page.per_page))
    }
}

/// A position in a newest-first list ordered by `(created_at, id)`: the last row of the
/// previous page. [`Keyset::START`] comes before every row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyset {
    pub created_at: i64,
    pub id: String,
}

impl Keyset {
    pub const START: Keyset = Keyset { created_at: i64::MAX, id: String::new() };
}
