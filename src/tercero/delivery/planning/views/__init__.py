"""Planning's pages: forecasts, staffing plans and intraday (`forecasts`), delivery
options with their PDF (`options`)."""
