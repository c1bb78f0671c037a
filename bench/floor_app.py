"""The benchmark's floor: a plain Streamlit page whose text changes with a date slider."""

import datetime as dt

import streamlit as st

DATES = [dt.date(2024, 11, 26) + dt.timedelta(days=i) for i in range(17)]
date = st.select_slider("Date", options=DATES, format_func=lambda d: d.isoformat(), key="date")
st.markdown(f"floor date: territory-floor-{date.isoformat()}")
