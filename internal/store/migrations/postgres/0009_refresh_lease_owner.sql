-- Refresh lease ownership (postgres). refresh_lease_owner is the random id of
-- the holder of the account's refresh lease (refresh_lease_until, on the
-- database's clock): only that holder may release the lease or store the
-- refreshed pair under it, so a holder whose lease ran out and was taken by
-- another process cannot end the new holder's lease or overwrite its pair.
ALTER TABLE credentials ADD COLUMN refresh_lease_owner TEXT;
