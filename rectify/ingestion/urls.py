from django.urls import path

from . import views

app_name = "ingestion"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("<int:job_id>/", views.review, name="review"),
    path("<int:job_id>/pages/<int:number>.jpg", views.page_image, name="page"),
    path("<int:job_id>/update/", views.review_update, name="review_update"),
    path("<int:job_id>/commit/", views.commit, name="commit"),
    path("<int:job_id>/discard/", views.discard, name="discard"),
]
