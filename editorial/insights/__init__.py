"""What the record shows people beyond the workflow: related answers side by side (related)
and each reviewer's figures (review_quality). Data only; templates render it."""
