-- Portable SQL. The flows each balance declares installed, with their route.
SELECT DISTINCT f.source_row, fc.flow, rc.route
FROM balance_flow_rows f
JOIN flow_code fc ON fc.flow = f.flow_text
JOIN route_code rc ON rc.route_text = f.route_text
