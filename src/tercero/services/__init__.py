"""The outsourced processes (care, payroll, ...). Each plugs into the work engine."""
