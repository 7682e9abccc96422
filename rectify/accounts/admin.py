from django.contrib import admin

admin.site.site_header = "督察整改调度平台 · 系统管理"
admin.site.site_title = "系统管理"
admin.site.index_title = "账号与岗位"
