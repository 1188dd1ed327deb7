"""The grid that groups a map view's sites into clusters, sized so no response can grow past a cap."""

from math import cos, floor, radians

# The most features one map response may carry, however many sites there are.
MAX_MAP_FEATURES = 500
# A cluster spans about this many screen pixels (Leaflet's 256-pixel Web Mercator tiles).
MAP_CELL_PIXELS = 80
# How far outside its region's frame a site may lie: the quality checks allow 2 km (about
# 0.02 degrees) outside the boundary; the frames are padded by more than that.
REGION_FRAME_PADDING = 0.1


def map_grid_cell(
    *, zoom: int, west: float, south: float, east: float, north: float, groups: int = 1
) -> tuple[float, float]:
    """The (latitude, longitude) size in degrees of the clustering grid for a map view.

    The cell is about MAP_CELL_PIXELS wide at `zoom`, flattened by the cosine of the view's
    middle latitude so cells look square in Web Mercator. Clusters never merge sites of
    different regions, so a cell can hold up to `groups` clusters (one per region that reaches
    the view). The cell then grows until cells in view × `groups` is at most MAX_MAP_FEATURES,
    counting the part-cells on every edge, so no response can exceed the cap even for a
    whole-world view at a high zoom.
    """
    zoom = max(0, min(int(zoom), 22))
    groups = max(1, int(groups))
    cell_longitude = 360 / (256 * 2**zoom) * MAP_CELL_PIXELS
    middle = radians((south + north) / 2)
    cell_latitude = cell_longitude * max(cos(middle), 0.2)
    width, height = max(east - west, 0.0), max(north - south, 0.0)
    while (floor(width / cell_longitude) + 2) * (
        floor(height / cell_latitude) + 2
    ) * groups > MAX_MAP_FEATURES:
        cell_longitude *= 1.25
        cell_latitude *= 1.25
    return cell_latitude, cell_longitude


def frames_in_view(frames, *, west: float, south: float, east: float, north: float) -> int:
    """How many of the (west, south, east, north) region frames, padded, reach into the view."""
    pad = REGION_FRAME_PADDING
    return sum(
        1
        for f_west, f_south, f_east, f_north in frames
        if f_west - pad <= east and f_east + pad >= west and f_south - pad <= north and f_north + pad >= south
    )
