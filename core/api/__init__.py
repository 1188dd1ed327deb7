"""What every endpoint of the partner API shares: errors, access, paging, formats and caching."""
