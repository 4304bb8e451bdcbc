"""Monthly evaluation of the deputies and the bulletin (通报) made from it."""
