"""Development tools of Một Cửa: stand-ins for the outside systems (the postal
carrier, the SMS gateway) and an example department system. Installed for
development and tests (`make install`), never into the production image."""
