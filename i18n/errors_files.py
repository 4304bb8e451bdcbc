"""Error sentences: see i18n/errors.py."""

from __future__ import annotations

ERRORS_FILES: dict[str, tuple[str, str]] = {
    # Reading an uploaded file (geo.readers).
    "error.text_encoding": (
        "{source}：未导入：文件既不是 UTF-8 编码，也不是 GBK/GB18030 编码，请另存为 UTF-8 后"
        "重新上传。",
        "{source}: refused: the text is neither UTF-8 nor GBK/GB18030; save it as UTF-8 and "
        "upload it again.",
    ),
    "error.not_a_csv": (
        "{source}：未导入：无法作为 CSV 表格读取（{detail}）。",
        "{source}: refused: not a readable CSV table ({detail}).",
    ),
    "error.missing_coordinates": (
        "{source}：未导入：CSV 文件需要经度和纬度两列（列名为 lon 和 lat，或 经度 和 纬度）。",
        "{source}: refused: a CSV needs longitude and latitude columns (lon and lat, or "
        "经度 and 纬度).",
    ),
    "error.not_a_number": (
        "{source}：未导入{where}：“{column}”列的值“{value}”不是数字。",
        "{source}: refused{where}: the value '{value}' in column '{column}' is not a number.",
    ),
    "error.unsupported_file_type": (
        "{source}：未导入：不支持此文件类型（{suffix}）。请使用 GeoJSON、GeoPackage、压缩为 "
        ".zip 的 Shapefile，或带经纬度列的 CSV。",
        "{source}: refused: unsupported file type ({suffix}); use GeoJSON, GeoPackage, a "
        "zipped Shapefile or a CSV with lon/lat columns.",
    ),
    "error.empty_file": (
        "{source}：未导入：文件是空的。",
        "{source}: refused: the file is empty.",
    ),
    "error.unreadable_file": (
        "{source}：未导入：无法读取该 {format} 文件（{detail}）。",
        "{source}: refused: not a readable {format} file ({detail}).",
    ),
    # Checking and storing its content (geo.importers).
    "error.no_county_yet": (
        "{source}：未导入：尚未导入县界；请先导入县（市、区）的边界，再导入乡镇、网格、点位和代表。",
        "{source}: refused: no county is stored yet; import the county outline first, then "
        "its townships, cells, sites and deputies.",
    ),
    "error.county_not_chosen": (
        "{source}：未导入：数据库中有多个县（市、区），请指明此文件属于哪个县（--county 县代码）。",
        "{source}: refused: the database holds several counties; say which one the file is "
        "for (--county CODE).",
    ),
    "error.missing_columns": (
        "{source}：未导入：缺少列 {columns}（文件中现有的列：{found}）。",
        "{source}: refused: missing column(s): {columns} (the file has: {found}).",
    ),
    "error.empty_value": (
        "{source}：未导入{where}：“{column}”列的值为空。",
        "{source}: refused{where}: empty value in column '{column}'.",
    ),
    "error.duplicate_code": (
        "{source}：未导入：编码 {item_code} 在文件中出现了两次。",
        "{source}: refused: code {item_code} appears twice in the file.",
    ),
    "error.code_already_stored": (
        "{source}：未导入：编码 {item_code} 已在系统中（共有 {clashes} 个编码重复），本文件的"
        "数据均未导入。",
        "{source}: refused: code {item_code} is already stored ({clashes} code(s) clash); "
        "nothing was imported.",
    ),
    "error.no_crs": (
        "{source}：未导入：文件没有声明坐标参考系（CRS），系统不会猜测。请补上坐标系（例如附带 "
        ".prj 文件；经纬度数据请用 EPSG:4326）。",
        "{source}: refused: the file declares no coordinate reference system (CRS), and none "
        "is guessed; add one (e.g. a .prj file, or EPSG:4326 for lon/lat).",
    ),
    "error.crs_conversion_failed": (
        "{source}：未导入：无法从坐标系 {crs} 转换为经纬度（{detail}）。",
        "{source}: refused: cannot convert from {crs} to longitude/latitude ({detail}).",
    ),
    "error.wrong_crs": (
        "{source}：未导入{where}：转换为经纬度（EPSG:4326）后坐标超出范围，文件声明的坐标系有误。",
        "{source}: refused{where}: after conversion to EPSG:4326 the coordinates are outside "
        "the longitude/latitude range; the declared CRS is wrong.",
    ),
    "error.no_geometry": (
        "{source}：未导入{where}：该要素没有几何图形。",
        "{source}: refused{where}: the feature has no geometry.",
    ),
    "error.wrong_geometry": (
        "{source}：未导入{where}：几何类型是 {geometry}，应为 {expected}。",
        "{source}: refused{where}: the geometry is a {geometry}, expected {expected}.",
    ),
    "error.invalid_polygon": (
        "{source}：未导入{where}：多边形无效，且无法在不改变面积的前提下安全修复（{reason}）。",
        "{source}: refused{where}: invalid polygon that cannot be repaired safely ({reason}).",
    ),
    "error.rows_refused_by_database": (
        "{source}：未导入：数据库拒绝写入这些数据（{detail}）。",
        "{source}: refused: the database refused the rows ({detail}).",
    ),
    "error.county_already_stored": (
        "{source}：未导入：县 {county} 已在系统中。",
        "{source}: refused: county {county} is already stored.",
    ),
    "error.duplicate_township_name": (
        "{source}：未导入：乡镇名称“{name}”出现了两次。",
        "{source}: refused: township name '{name}' appears twice.",
    ),
    "error.bad_cell_level": (
        "{source}：未导入{where}：网格级别应为 1、2 或 3，不能是“{value}”。",
        "{source}: refused{where}: the level must be 1, 2 or 3, not '{value}'.",
    ),
    "error.top_cell_has_parent": (
        "{source}：未导入{where}：一级（大）网格没有上级网格，但填写了上级 {parent}。",
        "{source}: refused{where}: a large (level 1) cell has no parent, but {parent} is given.",
    ),
    "error.orphan_cell": (
        "{source}：未导入{where}：{level} 级网格没有填写上级网格（parent_code）。",
        "{source}: refused{where}: a level {level} cell has no parent_code (orphan cell).",
    ),
    "error.unknown_parent_cell": (
        "{source}：未导入{where}：上级网格 {parent} 既不在文件中，也不在系统中。",
        "{source}: refused{where}: parent cell {parent} is neither in the file nor stored.",
    ),
    "error.parent_wrong_level": (
        "{source}：未导入{where}：上级网格 {parent} 是 {parent_level} 级，应为 {expected} 级。",
        "{source}: refused{where}: parent {parent} is level {parent_level}, expected level "
        "{expected}.",
    ),
    "error.cell_outside_parent": (
        "{source}：未导入{where}：网格超出其上级网格 {parent} 约 {area_m2} 平方米。",
        "{source}: refused{where}: the cell lies outside its parent {parent} by {area_m2} m².",
    ),
    "error.unknown_township_code": (
        "{source}：未导入{where}：乡镇编码 {value} 不存在。",
        "{source}: refused{where}: unknown township_code {value}.",
    ),
    "error.unknown_site_kind": (
        "{source}：未导入{where}：无法识别的点位类型“{value}”。",
        "{source}: refused{where}: unknown site kind '{value}'.",
    ),
    "error.bad_site_class": (
        "{source}：未导入{where}：点位等级（site_class）应为 1、2 或 3，不能是“{value}”。",
        "{source}: refused{where}: site_class must be 1, 2 or 3, not '{value}'.",
    ),
    "error.site_geometry_mismatch": (
        "{source}：未导入{where}：养殖场应为点，水域点位应为面；此点位的类型是“{kind}”，几何"
        "却是 {geometry}。",
        "{source}: refused{where}: livestock farms are points and water sites are polygons; "
        "this one is a {geometry} of kind '{kind}'.",
    ),
    "error.home_not_a_point": (
        "{source}：未导入{where}：代表的住址位置必须是点。",
        "{source}: refused{where}: a deputy's home must be a point.",
    ),
    "error.unknown_deputy_level": (
        "{source}：未导入{where}：无法识别的代表层级“{value}”，请填写 省、市、县 或 乡。",
        "{source}: refused{where}: unknown deputy level '{value}'; use province, city, county "
        "or township (or 省/市/县/乡).",
    ),
    "error.unknown_township": (
        "{source}：未导入{where}：乡镇“{value}”不存在（请填写乡镇名称或编码）。",
        "{source}: refused{where}: unknown township '{value}' (give its name or code).",
    ),
    "error.duplicate_township_office": (
        "{source}：未导入{where}：乡镇“{value}”在文件中有两个人大办公室。",
        "{source}: refused{where}: township '{value}' has two offices in the file.",
    ),
    "error.bad_phone": (
        "{source}：未导入{where}：“{value}”不是电话号码。",
        "{source}: refused{where}: '{value}' is not a phone number.",
    ),
    "error.office_township_unknown": (
        "乡镇“{township}”不存在（请填写乡镇名称或编码）。",
        "Unknown township '{township}' (give its name or code).",
    ),
    "error.office_phone_invalid": (
        "“{phone}”不是电话号码。",
        "'{phone}' is not a phone number.",
    ),
    "error.office_name_missing": (
        "请填写乡镇人大办公室的名称。",
        "The office needs a name.",
    ),
    "error.unknown_deputy": (
        "{source}：未导入{where}：代表编码 {value} 不存在。",
        "{source}: refused{where}: unknown deputy {value}.",
    ),
    "error.unknown_site": (
        "{source}：未导入{where}：点位编码 {value} 不存在。",
        "{source}: refused{where}: unknown site {value}.",
    ),
    "error.not_a_date": (
        "{source}：未导入{where}：“{value}”不是日期（格式应为 YYYY-MM-DD）。",
        "{source}: refused{where}: '{value}' is not a date (YYYY-MM-DD).",
    ),
    # Photos (core.photos).
    "error.photo_too_large": (
        "照片 {filename} 大小为 {size_mb} MB，超过了 {limit_mb} MB 的上限。",
        "Photo {filename} is {size_mb} MB; at most {limit_mb} MB is accepted.",
    ),
    "error.not_a_photo": (
        "{filename} 不是 JPEG 或 PNG 图片（按文件内容判断，而不是看文件名）。",
        "{filename} is not a JPEG or PNG image (checked by content, not by name).",
    ),
    "error.photo_unreadable": (
        "照片 {filename} 无法读取（{detail}）。",
        "Photo {filename} cannot be read ({detail}).",
    ),
    # Demo data and API keys (data.loader, api.keys).
    "error.demo_database_not_empty": (
        "数据库中已有县的数据，演示数据不会与之混在一起；如需替换，请使用 --reset。",
        "The database already holds a county; the demo will not mix with it. Use --reset to "
        "replace it.",
    ),
    "error.platform_unknown": (
        "没有编码为 {platform} 的平台。已有的平台：{known}。",
        "There is no platform {platform}; known platforms: {known}.",
    ),
    "error.ogc_client_unknown": (
        "没有编码为 {client} 的开放接口客户端；新建时请给出名称。",
        "There is no open-interface client {client}; give its name to create it.",
    ),
    "error.ogc_client_code_invalid": (
        "客户端编码「{client}」无效：须为 2–16 个小写字母、数字或下划线。",
        "The client code '{client}' is invalid: use 2–16 lower-case letters, digits or _.",
    ),
    "error.ogc_client_name_invalid": (
        "客户端名称过长或含有不可用的字符（最多 80 个字符）。",
        "The client name is too long or holds an unusable character (at most 80 characters).",
    ),
    "error.endpoint_not_http": (
        "接收地址 {url} 不是带主机名的 http(s) 网址。",
        "The endpoint {url} is not an http(s) URL with a host.",
    ),
    # Settings and setup (core.settings, db, the map, the bulletin, reminders).
    "error.unknown_setting": (
        "未知的设置项 {name}。已有的设置项：{known}。",
        "Unknown setting {name}; known settings: {known}.",
    ),
    "error.setting_invalid": (
        "设置 {env} 的值“{value}”无效：应为 {kind} 类型的数值。",
        "The setting {env}='{value}' is not a valid {kind}.",
    ),
    "error.setting_missing": (
        "尚未设置 {env}。",
        "{env} is not set.",
    ),
    "error.grid_counts_invalid": (
        "网格数量“{value}”无效：请写成三个整数，例如 15/192/932。",
        "Grid counts '{value}': write three whole numbers like 15/192/932.",
    ),
    "error.postgresql_missing": (
        "缺少 PostgreSQL 服务器程序（initdb、pg_ctl）。请安装：sudo apt-get install postgresql "
        "postgresql-15-postgis-3（或与 PostgreSQL 主版本相符的 postgis 软件包），或把 "
        "DATABASE_URL 设为已装有 PostGIS 的数据库服务器。",
        "The PostgreSQL server programs (initdb, pg_ctl) are missing: install them with sudo "
        "apt-get install postgresql postgresql-15-postgis-3 (or the postgis package matching "
        "your PostgreSQL major version), or set DATABASE_URL to a server that has PostGIS.",
    ),
    "error.postgis_missing": (
        "PostgreSQL {major} 缺少 PostGIS，请安装：sudo apt-get install "
        "postgresql-{major}-postgis-3",
        "PostGIS is missing for PostgreSQL {major}: install it with sudo apt-get install "
        "postgresql-{major}-postgis-3",
    ),
    "error.server_has_no_postgis": (
        "数据库服务器没有 PostGIS，请在数据库服务器上安装 postgresql-<主版本号>-postgis-3。",
        "The PostgreSQL server has no PostGIS: install postgresql-<major>-postgis-3 on the "
        "database machine.",
    ),
    "error.extension_needs_admin": (
        "数据库缺少扩展 {extension}，而用户 {user} 无权创建：请由数据库服务器管理员在该数据库中"
        "执行 CREATE EXTENSION {extension};",
        "The database lacks the extension {extension} and {user} may not create it: run "
        "CREATE EXTENSION {extension}; in the database as the server's administrator.",
    ),
    "error.schema_needs_owner": (
        "用户 {user} 无权修改数据库结构：请以属主身份运行 shuijian db migrate"
        "（设置 DATABASE_OWNER_URL）。",
        "{user} may not change the schema: run shuijian db migrate as the owner (set "
        "DATABASE_OWNER_URL).",
    ),
    "error.app_role_missing": (
        "数据库服务器上没有应用角色 {role}：请先按 README 的“数据库角色”一节创建它。",
        "The app role {role} does not exist on the database server: create it as the README's "
        "section on database roles says.",
    ),
    "error.database_not_postgresql": (
        "DATABASE_URL 必须指向装有 PostGIS 的 PostgreSQL 数据库，而不是 {backend}。",
        "DATABASE_URL must point at PostgreSQL with PostGIS, not {backend}.",
    ),
    "error.library_not_vendored": (
        "地图组件 {element} 需要从 {url} 加载 {library}，但系统离线运行，该库尚未随附：请把它"
        "放到 static/vendor/ 下，并在 layers/basemap.py 中登记。",
        "{element} needs {library} from {url}; the app runs offline, so vendor it under "
        "static/vendor/ and map it in layers/basemap.py.",
    ),
    "error.cjk_font_missing": (
        "找不到简报所需的中文 TrueType 字体，请安装 Debian 软件包 fonts-wqy-zenhei（已查找："
        "{paths}）。",
        "No Chinese TrueType font found for the bulletin; install the Debian package "
        "fonts-wqy-zenhei (looked for: {paths}).",
    ),
    "error.unknown_reminder_channel": (
        "未知的提醒渠道“{channel}”：请选择 dingtalk、http 或 none（通过 "
        "SHUIJIAN_REMIND_CHANNEL 或 --channel 设置）。",
        "Unknown reminder channel '{channel}': choose dingtalk, http or none "
        "(SHUIJIAN_REMIND_CHANNEL or --channel).",
    ),
    "error.dingtalk_webhook_missing": (
        "钉钉提醒需要设置 SHUIJIAN_DINGTALK_WEBHOOK（钉钉机器人的 Webhook 地址）。",
        "DingTalk reminders need SHUIJIAN_DINGTALK_WEBHOOK (the robot's webhook URL).",
    ),
    "error.sms_webhook_missing": (
        "HTTP/短信提醒需要设置 SHUIJIAN_SMS_WEBHOOK（一个网址）。",
        "HTTP / SMS reminders need SHUIJIAN_SMS_WEBHOOK (a URL).",
    ),
    "error.reminder_days_invalid": (
        "设置 {env}={value} 无效：提醒间隔按整天计，至少为 1。",
        "{env}={value}: the reminder schedule counts whole days, 1 or more.",
    ),
    "error.unknown_class_basis": (
        "{source}：未导入{where}：类别依据“{value}”不认识，可用：{known}。",
        "{source}: refused{where}: unknown class basis '{value}'; known: {known}.",
    ),
    "error.site_class_unchanged": (
        "点位 {site} 已是 {site_class} 类，无需调整。",
        "Site {site} is class {site_class} already; nothing to change.",
    ),
    "error.site_class_change_too_early": (
        "点位 {site} 的类别调整日期 {valid_from} 早于上次调整（{last}）；调整记录只能向后追加。",
        "Site {site}: a class change on {valid_from} comes before the last one ({last}); "
        "changes are only appended.",
    ),
    "error.no_such_site": ("没有编码为 {site} 的点位。", "No site has the code {site}."),
    "error.bad_site_class_value": (
        "点位类别应为 1、2 或 3，不能是“{value}”。",
        "A site class is 1, 2 or 3, not '{value}'.",
    ),
    "error.unknown_class_basis_value": (
        "类别依据“{value}”不认识，可用：{known}。",
        "Unknown class basis '{value}'; known: {known}.",
    ),
}
